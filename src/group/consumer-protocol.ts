/**
 * The "consumer" embedded protocol now lives in protocol/consumer-protocol.ts (the CLI's client
 * reads it too, and src/client/ may not import group/); this re-export keeps group/'s imports.
 */
export * from '../protocol/consumer-protocol.js';
