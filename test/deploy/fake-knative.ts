// The Cloud Run Admin API v1 (the Knative Serving API) as gcloud run uses
// it: services get/create/replace, revisions list. Every change to the
// template creates a ready revision at once; spec.traffic is resolved into
// status.traffic the way Cloud Run reports it.

interface KnativeRequest { method: string, path: string, query: URLSearchParams, body: unknown }

interface TrafficTarget { revisionName?: string, latestRevision?: boolean, percent?: number, tag?: string, url?: string }
interface Metadata { name: string, namespace?: string, annotations?: Record<string, string>, labels?: Record<string, string>, [key: string]: unknown }
export interface KnativeService {
  apiVersion: string
  kind: string
  metadata: Metadata
  spec: { template: { metadata?: Partial<Metadata>, spec: Record<string, unknown> }, traffic?: TrafficTarget[] }
  status?: Record<string, unknown>
}
interface Revision { name: string, service: string, createdSeconds: number, template: KnativeService['spec']['template'] }

const PREFIX = '/apis/serving.knative.dev/v1/namespaces/'

export function createKnativeStore ({ project, region, serviceUrl }: { project: string, region: string, serviceUrl: (tag: string) => string }) {
  const services = new Map<string, KnativeService>()
  const revisions: Revision[] = []
  const epochSeconds = 1_767_225_600 // 2026-01-01, then one second per revision

  const timestamp = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')

  function save (body: KnativeService): KnativeService {
    const name = body.metadata.name
    const previous = services.get(name)
    const generation = ((previous?.metadata.generation as number | undefined) ?? 0) + 1
    const last = revisions.filter((r) => r.service === name).at(-1)
    let latest = last?.name
    if (last === undefined || JSON.stringify(last.template.spec) !== JSON.stringify(body.spec.template.spec) ||
      (body.spec.template.metadata?.name !== undefined && body.spec.template.metadata.name !== last.name)) {
      const count = revisions.filter((r) => r.service === name).length + 1
      latest = body.spec.template.metadata?.name ?? `${name}-${String(count).padStart(5, '0')}-${'abcdefghij'[count % 10] ?? 'x'}ev`
      revisions.push({ name: latest, service: name, createdSeconds: epochSeconds + revisions.length, template: body.spec.template })
    }
    const requested = body.spec.traffic !== undefined && body.spec.traffic.length > 0 ? body.spec.traffic : [{ latestRevision: true, percent: 100 }]
    const traffic = requested.map((target) => ({
      ...target,
      revisionName: target.latestRevision === true ? latest : target.revisionName,
      ...(target.tag !== undefined ? { url: serviceUrl(target.tag) } : {}),
    }))
    const stored: KnativeService = {
      ...body,
      metadata: {
        ...body.metadata,
        namespace: project,
        generation,
        uid: `uid-${name}`,
        resourceVersion: `v${generation}`,
        creationTimestamp: (previous?.metadata.creationTimestamp as string | undefined) ?? timestamp(epochSeconds),
        labels: { ...body.metadata.labels, 'cloud.googleapis.com/location': region },
      },
      spec: { ...body.spec, traffic: requested },
      status: {
        observedGeneration: generation,
        conditions: ['Ready', 'ConfigurationsReady', 'RoutesReady'].map((type) => ({ type, status: 'True', lastTransitionTime: timestamp(epochSeconds) })),
        latestCreatedRevisionName: latest,
        latestReadyRevisionName: latest,
        url: serviceUrl('svc'),
        address: { url: serviceUrl('svc') },
        traffic,
      },
    }
    services.set(name, stored)
    return stored
  }

  function revisionResource (revision: Revision) {
    return {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Revision',
      metadata: {
        name: revision.name,
        namespace: project,
        creationTimestamp: timestamp(revision.createdSeconds),
        labels: { 'serving.knative.dev/service': revision.service, 'serving.knative.dev/configuration': revision.service, 'cloud.googleapis.com/location': region },
        annotations: revision.template.metadata?.annotations ?? {},
      },
      spec: revision.template.spec,
      status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] },
    }
  }

  function handle (req: KnativeRequest): [number, unknown] | undefined {
    if (!req.path.startsWith(PREFIX)) return undefined
    const [namespace, collection, name] = req.path.slice(PREFIX.length).split('/')
    if (namespace !== project) return [403, { error: { code: 403, message: `namespace ${namespace ?? ''}`, status: 'PERMISSION_DENIED' } }]
    if (collection === 'services') {
      if (req.method === 'POST' && name === undefined) return [200, save(req.body as KnativeService)]
      if (req.method === 'PUT' && name !== undefined) return [200, save(req.body as KnativeService)]
      const found = name === undefined ? undefined : services.get(name)
      if (req.method === 'GET' && found !== undefined) return [200, found]
    }
    if (collection === 'revisions' && req.method === 'GET' && name === undefined) {
      const service = (req.query.get('labelSelector') ?? '').match(/serving\.knative\.dev\/service=([^,]+)/)?.[1]
      const items = revisions.filter((r) => service === undefined || r.service === service).map(revisionResource)
      return [200, { apiVersion: 'serving.knative.dev/v1', kind: 'RevisionList', metadata: {}, items }]
    }
    return [404, { error: { code: 404, message: `${req.path} not found`, status: 'NOT_FOUND' } }]
  }

  return { handle, save, services, revisions }
}
