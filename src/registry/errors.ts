/**
 * The schema registry's HTTP errors, as Confluent Schema Registry answers them: a JSON body
 * `{"error_code": N, "message": "..."}` where N is the HTTP status followed by a two-digit detail
 * (40401 subject not found, 42201 invalid schema, ...) or the bare status (409 incompatible).
 *
 * Samsa's deviations: none in the codes; the messages are Samsa's own words.
 */

export class RegistryError extends Error {
  constructor(
    /** The HTTP status. */
    readonly status: number,
    /** Confluent's error code (status plus detail). */
    readonly errorCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RegistryError';
  }
}

export const subjectNotFound = (subject: string): RegistryError => new RegistryError(404, 40401, `Subject '${subject}' not found.`);
export const versionNotFound = (version: number | string): RegistryError => new RegistryError(404, 40402, `Version ${version} not found.`);
export const schemaNotFound = (what = 'Schema'): RegistryError => new RegistryError(404, 40403, `${what} not found`);
export const subjectSoftDeleted = (subject: string): RegistryError =>
  new RegistryError(404, 40404, `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`);
export const subjectNotSoftDeleted = (subject: string): RegistryError =>
  new RegistryError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
export const versionSoftDeleted = (subject: string, version: number): RegistryError =>
  new RegistryError(404, 40406, `Subject '${subject}' Version ${version} was soft deleted.Set permanent=true to delete permanently`);
export const versionNotSoftDeleted = (subject: string, version: number): RegistryError =>
  new RegistryError(404, 40407, `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`);
export const subjectLevelCompatibilityNotConfigured = (subject: string): RegistryError =>
  new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
export const subjectLevelModeNotConfigured = (subject: string): RegistryError =>
  new RegistryError(404, 40409, `Subject '${subject}' does not have subject-level mode configured`);
export const incompatibleSchema = (messages: readonly string[]): RegistryError =>
  new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject; ${messages.join('; ')}`);
export const invalidSchema = (detail: string): RegistryError => new RegistryError(422, 42201, `Invalid schema: ${detail}`);
export const invalidVersion = (version: string): RegistryError =>
  new RegistryError(422, 42202, `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
export const invalidCompatibilityLevel = (level: string): RegistryError =>
  new RegistryError(422, 42203, `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive (got '${level}')`);
export const invalidMode = (mode: string): RegistryError => new RegistryError(422, 42204, `Invalid mode '${mode}'. Valid values are READWRITE, READONLY, IMPORT`);
export const operationNotPermitted = (detail: string): RegistryError => new RegistryError(422, 42205, detail);
export const referenceExists = (detail: string): RegistryError => new RegistryError(422, 42206, detail);
export const invalidRequest = (detail: string): RegistryError => new RegistryError(422, 422, detail);
export const storeError = (detail: string, cause?: unknown): RegistryError => new RegistryError(500, 50001, `Error in the backend data store: ${detail}`, { cause });
export const operationTimeout = (detail: string): RegistryError => new RegistryError(500, 50002, `Operation timed out: ${detail}`);
export const forwardingError = (detail: string, cause?: unknown): RegistryError =>
  new RegistryError(500, 50003, `Error while forwarding the request to the primary: ${detail}`, { cause });
export const readOnlyMode = (subject: string): RegistryError => new RegistryError(422, 42205, `Subject ${subject} is in read-only mode`);
