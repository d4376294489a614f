import type autocannon from 'autocannon'

export interface RunSettings {
  url: URL
  connections: number
  durationSeconds: number
  rate: number | undefined
  headers: Record<string, string>
  timeoutSeconds: number
  /** Where the progress bar goes; it is drawn only when this is a terminal. */
  progress: NodeJS.WriteStream | undefined
  label: string
}

/** One autocannon run; resolves with autocannon's result when it ends. */
export async function runLoad (settings: RunSettings): Promise<autocannon.Result> {
  // Loaded on first use: it takes ~0.2 s, which bad input should not wait for.
  const { default: autocannon } = await import('autocannon')
  let finish: (error: Error | null, result: autocannon.Result) => void = () => {}
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => { if (error === null) resolve(result); else reject(error) }
  })
  // The callback form returns the instance, which the progress bar needs.
  const instance = autocannon({
    url: settings.url.href,
    connections: settings.connections,
    duration: settings.durationSeconds,
    // A fixed arrival rate over all connections; autocannon then corrects the
    // latencies for coordinated omission.
    ...(settings.rate === undefined ? {} : { overallRate: settings.rate }),
    headers: settings.headers,
    timeout: settings.timeoutSeconds,
  }, (error, result) => finish(error, result))
  // Ctrl-C ends the run early and still prints what was measured.
  const stop = () => instance.stop()
  process.once('SIGINT', stop)
  if (settings.progress !== undefined) {
    autocannon.track(instance, {
      outputStream: settings.progress,
      renderProgressBar: true,
      renderResultsTable: false,
      renderLatencyTable: false,
      progressBarString: `${settings.label} [:bar] :percent`,
    })
  }
  try {
    return await finished
  } finally {
    process.off('SIGINT', stop)
  }
}
