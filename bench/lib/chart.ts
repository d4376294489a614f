import { atLoad, cachedColdStart, coldStart, ratioOf, rssAfterLoad, type Samples, type TargetResults } from './results.ts'
import { BASELINE } from './targets.ts'

// docs/benchmarks.svg: for each figure, one bar per headline target showing
// its ratio to bare Fastify (1× = Fastify, ratios taken round by round), with
// the target for the default service marked in red.
// Plain SVG so that GitHub renders it with no external service.

interface ChartFigure { label: string, samples: Samples, target?: number }

function figures (connections: number[]): ChartFigure[] {
  const [low = 80, high = 200] = connections
  return [
    { label: `requests/s at ${low} connections`, samples: atLoad(low, 'requestsPerSecond'), target: 0.75 },
    { label: `p99 at ${low} connections`, samples: atLoad(low, 'p99Ms'), target: 1.5 },
    { label: `CPU per request at ${low} connections`, samples: atLoad(low, 'cpuUsPerRequest') },
    { label: `requests/s at ${high} connections`, samples: atLoad(high, 'requestsPerSecond') },
    { label: 'cold start, no compile cache', samples: coldStart, target: 1.25 },
    { label: 'cold start, compile cache', samples: cachedColdStart },
    { label: 'RSS after load', samples: rssAfterLoad, target: 1.25 },
  ]
}

const COLOURS = ['#9e9e9e', '#4285f4', '#34a853', '#fbbc04', '#ea4335']
const BAR_PX = 14
const GAP_PX = 12
const LABEL_PX = 300
const PLOT_PX = 460
/** One legend line per target. */
const LEGEND_LINE_PX = 16

function escape (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function svgChart (summaries: TargetResults[], connections: number[], title: string): string {
  const baseline = summaries.find((s) => s.name === BASELINE)
  if (baseline === undefined) throw new Error(`the chart needs the ${BASELINE} baseline`)
  const shown = figures(connections)
  const ratios = shown.map((figure) => summaries.map((s) => ratioOf(s, baseline, figure.samples)))
  const maxRatio = Math.max(2, ...ratios.flat().filter(Number.isFinite)) * 1.05
  const x = (r: number) => LABEL_PX + (Math.min(r, maxRatio) / maxRatio) * PLOT_PX
  const groupPx = summaries.length * BAR_PX + GAP_PX
  const top = 44 + summaries.length * LEGEND_LINE_PX
  const height = top + shown.length * groupPx + 30
  const width = LABEL_PX + PLOT_PX + 70
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ]
  summaries.forEach((s, i) => {
    const ly = 32 + i * LEGEND_LINE_PX
    parts.push(`<rect x="10" y="${ly}" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>`,
      `<text x="26" y="${ly + 10}">${escape(s.name)}</text>`)
  })
  shown.forEach((figure, m) => {
    const y0 = top + m * groupPx
    parts.push(`<text x="${LABEL_PX - 8}" y="${y0 + (summaries.length * BAR_PX) / 2 + 4}" text-anchor="end">${escape(figure.label)}</text>`)
    ratios[m]?.forEach((r, i) => {
      const y = y0 + i * BAR_PX
      if (!Number.isFinite(r)) return
      parts.push(`<rect x="${LABEL_PX}" y="${y + 1}" width="${(x(r) - LABEL_PX).toFixed(1)}" height="${BAR_PX - 2}" fill="${COLOURS[i % COLOURS.length]}"/>`,
        `<text x="${(x(r) + 4).toFixed(1)}" y="${y + BAR_PX - 3}" font-size="10">${r.toFixed(2)}×</text>`)
    })
    if (figure.target !== undefined) {
      const tx = x(figure.target).toFixed(1)
      parts.push(`<line x1="${tx}" x2="${tx}" y1="${y0 - 2}" y2="${y0 + summaries.length * BAR_PX + 2}" stroke="#d93025" stroke-width="2" stroke-dasharray="3,2"/>`)
    }
  })
  const oneX = x(1).toFixed(1)
  const bottom = top + shown.length * groupPx
  parts.push(`<line x1="${oneX}" x2="${oneX}" y1="${top - 4}" y2="${bottom}" stroke="#000" stroke-width="1"/>`,
    `<text x="${oneX}" y="${bottom + 14}" text-anchor="middle">1× = bare Fastify</text>`,
    `<text x="${LABEL_PX + PLOT_PX}" y="${bottom + 14}" text-anchor="end" fill="#d93025">red dashes: the issue's target for the default service</text>`,
    '</svg>')
  return parts.join('\n') + '\n'
}
