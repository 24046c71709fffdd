import { REDIS_KEYS } from "@dpsynth/contracts";

/** Redis keys of one job, spelled once from the contract. */
export const jobKeys = (jobId: string) => ({
  events: `${REDIS_KEYS.eventsStreamPrefix}${jobId}`,
  seq: `${REDIS_KEYS.eventSeqPrefix}${jobId}`,
  cancel: `${REDIS_KEYS.cancelPrefix}${jobId}`,
});
