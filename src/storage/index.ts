/** Public API of the storage layer. */
export { type LogConfig, defaultLogConfig } from './log-config.js';
export { PartitionLog, type PartitionLogOpenOptions, type ReadResult, type AppendResult } from './partition-log.js';
export { LogManager, type LogManagerOptions, type LogDirUsage } from './log-manager.js';
export { LeaderEpochCache, type EpochEntry, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';
export { CheckpointFile, OffsetCheckpointFile, LeaderEpochCheckpointFile, type TopicPartitionOffset } from './checkpoint-file.js';
export { OffsetOutOfRangeError, UnexpectedAppendOffsetError, CorruptCheckpointError, LogClosedError } from './errors.js';
export { SegmentResourceCache, newSegmentResourceCache } from './segment-cache.js';
