import fp from 'fastify-plugin'

// The instance's readiness, as the /ready probe reports it (src/routes/health.ts).
// Boot (config, secrets) has finished before buildApp is called, so the app
// starts ready; the drain (src/lifecycle/shutdown.ts) turns it to draining
// before the server stops accepting.

export interface Readiness {
  readonly draining: boolean
  beginDrain: () => void
}

export default fp(async function readinessPlugin (app) {
  let draining = false
  const readiness: Readiness = {
    get draining () { return draining },
    beginDrain () { draining = true },
  }
  app.decorate('readiness', readiness)
}, { name: 'readiness' })

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness
  }
}
