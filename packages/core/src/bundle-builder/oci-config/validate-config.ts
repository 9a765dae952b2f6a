/**
 * Checking a config.json document against {@link OCI_CONFIG_SCHEMA} with ajv before it is written.
 *
 * @module bundle-builder/oci-config/validate-config
 */
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import { err, ErrorCode } from '../../errors.js';
import { OCI_CONFIG_SCHEMA } from './config-schema.js';
import type { OciSpec } from './spec-types.js';

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // Loaded and compiled once, on first use: ajv's many modules would otherwise cost every importer of
  // @magikrun/core at start-up (ajv generates code; compiling takes about a millisecond).
  if (!compiled) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    compiled = new Ajv({ strict: true, allErrors: false }).compile(OCI_CONFIG_SCHEMA);
  }
  return compiled;
}

/**
 * Check `doc` (the config.json about to be written).
 *
 * @returns `doc`, typed.
 * @throws MagikrunError `INVALID_ARGUMENT` naming the JSON pointer of the first offending value
 *   (`details.pointer`, e.g. `/process/user/uid`) and what the schema wanted.
 */
export function validateOciConfig(doc: unknown): OciSpec {
  const validate = validator();
  if (validate(doc)) return doc as OciSpec;
  const first = validate.errors?.[0];
  const pointer = first?.instancePath || '/';
  const extra = first?.keyword === 'additionalProperties' ? ` (${String((first.params as { additionalProperty?: string }).additionalProperty)})` : '';
  throw err(ErrorCode.InvalidArgument, `the generated config.json is invalid at ${pointer}: ${first?.message ?? 'schema violation'}${extra}`, {
    pointer,
    keyword: first?.keyword,
  });
}
