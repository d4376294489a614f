import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import { cloudLoggingOptions, type TraceCorrelation } from '../../src/logging/cloud-logging.ts'
import type { Config } from '../../src/config/load-config.ts'

export type LogLine = Record<string, unknown> & { severity: string, message: string }

export interface CapturedLogs {
  logger: Logger
  /** Every line written so far, parsed. */
  lines: () => LogLine[]
  /** The raw text written so far. */
  text: () => string
}

/** A logger with the production options, writing JSON lines to memory. */
export function captureLogs (config: Config, correlation?: TraceCorrelation): CapturedLogs {
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString())
      callback()
    },
  })
  const logger = pino(cloudLoggingOptions(config, { correlation }), stream)
  const text = () => chunks.join('')
  return {
    logger,
    text,
    lines: () => text().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as LogLine),
  }
}
