// A resizable, 64-byte aligned array of trivially copyable T (a cache line, so
// that packed panels and weight rows never straddle lines needlessly).
#pragma once
#include <cstddef>
#include <cstring>
#include <new>

namespace hs {

template <typename T>
class AlignedBuffer {
 public:
  static constexpr std::size_t kAlign = 64;
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t n) { resize(n); }
  AlignedBuffer(const AlignedBuffer& o) { assign(o.data_, o.size_); }
  AlignedBuffer& operator=(const AlignedBuffer& o) {
    if (this != &o) assign(o.data_, o.size_);
    return *this;
  }
  ~AlignedBuffer() { release(); }

  // Contents are not preserved when growing (callers resize before filling).
  void resize(std::size_t n) {
    if (n > capacity_) {
      release();
      data_ = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kAlign)));
      capacity_ = n;
    }
    size_ = n;
  }
  void assign(const T* src, std::size_t n) {
    resize(n);
    if (n) std::memcpy(data_, src, n * sizeof(T));
  }
  void fill(T v) {
    for (std::size_t i = 0; i < size_; ++i) data_[i] = v;
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }

 private:
  void release() {
    if (data_) ::operator delete(data_, std::align_val_t(kAlign));
    data_ = nullptr;
    capacity_ = size_ = 0;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace hs
