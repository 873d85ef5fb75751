/** The backend framework's public surface. */
export { createBackend, type BackendDef, type SecretDef } from './backend.js';
export { FieldData, parseFields, type FieldSchema, type FieldSchemas, type FieldValue } from './field-data.js';
export { canonicalHeaderName, coerce, zeroValue, type FieldType, type FieldValueTypes } from './field-types.js';
export { findOverlapDetails, findOverlaps, type Overlap } from './overlaps.js';
export {
  definePath,
  PATH_OPERATIONS,
  type ExistenceCheck,
  type PathDef,
  type PathHandler,
  type PathOperation,
} from './path.js';
export {
  compilePattern,
  genericName,
  literal,
  matchAll,
  matchAllNonEmpty,
  optionalSuffix,
  optionalTrailingSlash,
  type CompiledPattern,
} from './patterns.js';
export { UnsupportedPatternError } from './regex-dialect.js';
export { formatTime } from './time-format.js';
