import { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { createLogger, type TraceCorrelation } from '../../src/logging/cloud-logging.ts'
import type { Config } from '../../src/config/load-config.ts'

export type LogLine = Record<string, unknown> & { severity: string, message: string }

export interface CapturedLogs {
  logger: Logger
  /** Every line written so far, parsed. */
  lines: () => LogLine[]
  /** The raw text written so far. */
  text: () => string
}

/** The production logger (createLogger), writing its JSON lines to memory instead of stdout. */
export function captureLogs (config: Config, correlation?: TraceCorrelation, secretValues: string[] = []): CapturedLogs {
  const chunks: string[] = []
  const destination = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString())
      callback()
    },
  })
  const logger = createLogger(config, { destination, ...(correlation === undefined ? {} : { correlation }), secretValues })
  const text = () => chunks.join('')
  return {
    logger,
    text,
    lines: () => text().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as LogLine),
  }
}
