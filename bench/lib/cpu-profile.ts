// Reads a V8 .cpuprofile (written by `node --cpu-prof`) and charges each
// sample to the innermost package on its stack, so that the time Node's module
// loader spends compiling a package's files is charged to the package that
// required them, and the time running a package's top-level code to itself.

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string }
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

/**
 * `node_modules/@scope/name/…` → `@scope/name`; a file of the unbundled build
 * (`dist-tsc/plugins/app/request-logging.js`) → its source file; the bundle
 * (`dist/…`), where every package is one file, → the bundle.
 */
export function ownerOf (url: string): string | undefined {
  // The last node_modules/ in the path: a nested copy belongs to its own package.
  const inModules = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  if (inModules !== null) return inModules[1]
  const unbundled = /\/dist-tsc\/(.+)\.js$/.exec(url)
  if (unbundled !== null) return `src/${unbundled[1]}.ts`
  if (/\/dist\//.test(url)) return 'the bundle (dist/; profile dist-tsc/ to see packages)'
  if (/\/dist-bench\//.test(url)) return undefined // the harness itself
  return undefined
}

/** Milliseconds of CPU per owner, up to `untilUs` on the profile's clock; idle time left out. */
export function cpuByOwner (profile: CpuProfile, untilUs = Number.POSITIVE_INFINITY): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const ownerCache = new Map<number, string>()
  const owner = (id: number): string => {
    const cached = ownerCache.get(id)
    if (cached !== undefined) return cached
    const node = byId.get(id)
    const name = node?.callFrame.functionName ?? ''
    let result: string
    if (name === '(garbage collector)') result = 'garbage collection'
    else if (name === '(program)') result = 'V8 and native code (parsing, compiling)'
    else {
      const own = ownerOf(node?.callFrame.url ?? '')
      const up = parent.get(id)
      result = own ?? (up === undefined ? 'Node.js internals' : owner(up))
    }
    ownerCache.set(id, result)
    return result
  }
  const totals = new Map<string, number>()
  let timeUs = profile.startTime
  profile.samples.forEach((id, i) => {
    timeUs += profile.timeDeltas[i] ?? 0
    if (timeUs > untilUs) return
    if (byId.get(id)?.callFrame.functionName === '(idle)') return
    const key = owner(id)
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  })
  return totals
}
