// Journals as older hypersweep versions wrote them, for tests of reading them.

/** trial_started without `sampler` (the field came with the sampler column of the leaderboard). */
export function withoutTrialSamplers(journal: string): string {
  return journal.replace(/^(.*"event":"trial_started".*),"sampler":"[^"]*"/gm, '$1');
}
