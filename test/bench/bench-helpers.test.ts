import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cpuByOwner, ownerOf, type CpuProfile } from '../../bench/lib/cpu-profile.ts'
import { median, rotate } from '../../bench/lib/stats.ts'
import { serviceArgs } from '../../bench/lib/targets.ts'

// The arithmetic behind `npm run bench` and `npm run bench:startup`. The
// benchmarks themselves are not tests: no timing is asserted anywhere.

describe('bench helpers', () => {
  it('when values are summarised, then the median is the middle one, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })

  it('when rounds are interleaved, then each round starts with the next target', () => {
    expect([0, 1, 2, 3].map((round) => rotate(['a', 'b', 'c'], round))).toStrictEqual([
      ['a', 'b', 'c'], ['b', 'c', 'a'], ['c', 'a', 'b'], ['a', 'b', 'c'],
    ])
  })

  it('when the bench starts the service, then it gives node the flags of the build\'s own npm start', () => {
    expect(serviceArgs()).toStrictEqual(['--max-semi-space-size=8', 'dist/server.js'])
    const older = mkdtempSync(join(tmpdir(), 'bench-service-args-'))
    try {
      const withStart = (start: string) => writeFileSync(join(older, 'package.json'), JSON.stringify({ scripts: { start } }))
      withStart('exec node dist/server.js')
      expect(serviceArgs(older, join(older, 'dist/server.js'))).toStrictEqual([join(older, 'dist/server.js')])
      withStart('node dist/server.js') // e2cafa5 and older: no exec
      expect(serviceArgs(older)).toStrictEqual(['dist/server.js'])
      withStart('node -r ./preload.js dist/server.js')
      expect(() => serviceArgs(older)).toThrow(`${older}/package.json: the start script is not "exec node [--flags] dist/server.js": node -r ./preload.js dist/server.js`)
    } finally {
      rmSync(older, { recursive: true, force: true })
    }
  })

  it('when a frame comes from a file, then it is charged to its package or to the service', () => {
    expect(ownerOf('file:///app/node_modules/fastify/lib/route.js')).toBe('fastify')
    expect(ownerOf('file:///app/node_modules/@fastify/helmet/index.js')).toBe('@fastify/helmet')
    expect(ownerOf('file:///app/node_modules/fastify/node_modules/semver/index.js')).toBe('semver')
    expect(ownerOf('file:///app/dist/app.js')).toBe('the bundle (dist/; profile dist-tsc/ to see packages)')
    expect(ownerOf('file:///app/dist-tsc/plugins/app/request-logging.js')).toBe('src/plugins/app/request-logging.ts')
    expect(ownerOf('node:internal/modules/cjs/loader')).toBeUndefined()
  })

  it('when a profile is read, then Node internals are charged to the package that called them, idle and late samples are left out', () => {
    const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url }, children })
    const profile: CpuProfile = {
      nodes: [
        frame(1, '(root)', '', [2, 5, 6, 7]),
        frame(2, 'require', 'file:///app/node_modules/fastify/fastify.js', [3]),
        frame(3, 'compileFunction', 'node:internal/vm', [4]),
        frame(4, 'wrapSafe', 'node:internal/modules/cjs/loader'),
        frame(5, '(idle)', ''),
        frame(6, '(garbage collector)', ''),
        frame(7, 'runMain', 'node:internal/modules/run_main'),
      ],
      startTime: 1_000,
      samples: [4, 3, 5, 6, 7, 2],
      timeDeltas: [1_000, 2_000, 4_000, 500, 250, 8_000],
    }
    expect(Object.fromEntries(cpuByOwner(profile))).toStrictEqual({
      fastify: 11,
      'garbage collection': 0.5,
      'Node.js internals': 0.25,
    })
    // Up to 8_750 µs on the profile's clock: the last sample (at 16_750) is cut.
    expect(Object.fromEntries(cpuByOwner(profile, 8_750))).toStrictEqual({
      fastify: 3,
      'garbage collection': 0.5,
      'Node.js internals': 0.25,
    })
  })
})
