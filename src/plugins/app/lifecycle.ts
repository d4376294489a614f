import fp from 'fastify-plugin'

// The instance's readiness, as the /ready probe reports it. Boot (config,
// secrets) has finished before buildApp is called, so the app starts ready;
// shutdown flips it to draining before the server stops accepting.

export interface Lifecycle {
  readonly draining: boolean
  beginDrain: () => void
}

export function createLifecycle (): Lifecycle {
  let draining = false
  return {
    get draining () { return draining },
    beginDrain () { draining = true },
  }
}

export default fp(async function lifecyclePlugin (app) {
  const lifecycle = createLifecycle()
  app.decorate('lifecycle', lifecycle)
}, { name: 'lifecycle' })

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle
  }
}
