import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources'
import type { Config } from '../config/load-config.ts'
import type { MetadataServer } from '../gcp/metadata-server.ts'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../config/service-identity.ts'

// What the spans are about. Attributes the metadata server knows (region,
// instance, project) are promises: the boot never waits for them, and the
// exporter waits (at most the metadata lookup's 1 s timeout) before the first
// export. https://opentelemetry.io/docs/specs/semconv/resource/cloud/

/**
 * A metadata value, asked twice if need be. The first lookup starts while the
 * boot is still loading the app, and a busy event loop can let the lookup's
 * timeout fire before its answer is read; by the second, the boot is over.
 */
async function lookUp (metadata: MetadataServer, path: string): Promise<string | undefined> {
  return (await metadata.get(path)) ?? await metadata.get(path)
}

export function createResource (config: Config, metadata: MetadataServer): Resource {
  const fromEnv = config.OTEL_RESOURCE_ATTRIBUTES ?? {}
  const onCloudRun = config.K_SERVICE !== undefined
  const cloudRun = onCloudRun
    ? {
        'cloud.provider': 'gcp',
        'cloud.platform': 'gcp_cloud_run',
        'faas.name': config.K_SERVICE,
        'faas.version': config.K_REVISION,
        // "projects/123/regions/europe-west1" -> "europe-west1"
        'cloud.region': lookUp(metadata, 'instance/region').then((region) => region?.split('/').at(-1)),
        'faas.instance': lookUp(metadata, 'instance/id'),
      }
    : {}
  const projectId = config.GOOGLE_CLOUD_PROJECT ?? (onCloudRun ? lookUp(metadata, 'project/project-id') : undefined)
  return defaultResource().merge(resourceFromAttributes({
    ...cloudRun,
    // Google's OTLP endpoint files spans under this project.
    ...(projectId === undefined ? {} : { 'gcp.project_id': projectId, 'cloud.account.id': projectId }),
    'service.version': PACKAGE_VERSION,
    ...fromEnv,
    // The spec: OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES.
    'service.name': config.OTEL_SERVICE_NAME ?? fromEnv['service.name'] ?? config.K_SERVICE ?? PACKAGE_NAME,
  }))
}
