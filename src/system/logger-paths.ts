/**
 * sys/loggers and sys/loggers/:name: read and change the server's log level at run time, and
 * go back to the configured one (DELETE), as Vault 1.15+ does. Arca has one logger tree, shown
 * under Vault's name for the core logger, "core"; other names are refused.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Core } from '../core/core.js';
import { parseLogLevel, type LogLevels } from '../util/logger.js';

const LOGGER_NAME = 'core';

export function loggerPaths(core: Core): PathDef[] {
  const levels = (): LogLevels => {
    const l = core.logger.levels;
    if (l === undefined) throw new BadRequestError('this server was started without a changeable logger');
    return l;
  };
  const checkName = (name: string): void => {
    if (name !== LOGGER_NAME) throw new BadRequestError(`logger ${JSON.stringify(name)} not found`);
  };
  const setLevel = (raw: string): void => {
    if (raw === '') throw new BadRequestError('level is empty');
    try {
      levels().set(parseLogLevel(raw));
    } catch (err) {
      if (err instanceof BadRequestError) throw err;
      throw new BadRequestError(`invalid level provided: ${JSON.stringify(raw)}`);
    }
  };
  const levelField = { level: { type: 'string', description: 'trace, debug, info, warn or error.' } } as const;
  return [
    definePath({
      pattern: 'loggers',
      fields: levelField,
      operations: {
        read: async () => ({ data: { [LOGGER_NAME]: levels().current() } }),
        update: async (_req, f) => {
          setLevel(f.get('level'));
          return undefined;
        },
        delete: async () => {
          levels().reset();
          return undefined;
        },
      },
      synopsis: 'Log levels of the server.',
      description: 'GET shows the level, POST changes it for every logger, DELETE returns to the configured level.',
    }),
    definePath({
      pattern: 'loggers/(?<name>.+)',
      fields: { name: { type: 'string', description: 'The logger name.' }, ...levelField },
      operations: {
        read: async (_req, f) => {
          checkName(f.get('name'));
          return { data: { [LOGGER_NAME]: levels().current() } };
        },
        update: async (_req, f) => {
          checkName(f.get('name'));
          setLevel(f.get('level'));
          return undefined;
        },
        delete: async (_req, f) => {
          checkName(f.get('name'));
          levels().reset();
          return undefined;
        },
      },
      synopsis: 'Log level of one logger.',
      description: `Arca has one logger tree, named "${LOGGER_NAME}".`,
    }),
  ];
}
