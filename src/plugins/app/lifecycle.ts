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
  // server.close() closes the keep-alive connections that are idle at that
  // moment. A request already in flight would leave its connection open and
  // idle afterwards, holding the drain up until the client lets go; closing
  // it with the response lets the process exit as soon as the work is done.
  app.addHook('onSend', async (_request, reply) => {
    if (lifecycle.draining) reply.header('connection', 'close')
  })
}, { name: 'lifecycle' })

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle
  }
}
