// The resource every span is reported with. Everything is read locally and synchronously at start-up:
// no cloud metadata endpoints are probed, so start-up never waits on the network.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { arch, hostname, platform, release, userInfo } from 'node:os';
import type { Attributes } from '@opentelemetry/api';
import { log } from '../diag/logger.js';
import { SDK_VERSION } from '../version.js';
import { appPackageJson } from './app-package.js';

/** What resource detection takes from the configuration. */
export interface ResourceSettings {
  /** OTEL_SERVICE_NAME (or service.name in the attributes); undefined falls back to the app's package name. */
  serviceName: string | undefined;
  /** OTEL_RESOURCE_ATTRIBUTES and init()'s resourceAttributes. */
  resourceAttributes: Attributes;
  /** The environment snapshot read for Kubernetes' downward API and the like. */
  env: Record<string, string | undefined>;
  /** This process's index among `sightline run`'s workers, if it is one. */
  runWorker?: { index: number } | undefined;
}

export function buildResource(config: ResourceSettings): Attributes {
  const attributes: Attributes = {
    ...processAttributes(),
    ...hostAttributes(),
    ...containerAttributes(),
    ...kubernetesAttributes(config.env),
    'telemetry.sdk.name': 'sightline',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': SDK_VERSION,
    'service.instance.id': randomUUID(),
  };
  if (config.runWorker !== undefined) attributes['sightline.worker.index'] = config.runWorker.index;
  Object.assign(attributes, config.resourceAttributes);
  attributes['service.name'] = config.serviceName ?? serviceNameFromPackage();
  return attributes;
}

function serviceNameFromPackage(): string {
  const found = appPackageJson((pkg) => typeof pkg.name === 'string' && pkg.name !== '');
  if (found !== undefined) {
    const name = found.pkg.name as string;
    log.warn(`OTEL_SERVICE_NAME is not set; using "${name}", the name in ${found.path}`);
    return name;
  }
  log.warn('OTEL_SERVICE_NAME is not set and no package.json with a name was found; using "unknown_service:node"');
  return 'unknown_service:node';
}

function processAttributes(): Attributes {
  const attributes: Attributes = {
    'process.pid': process.pid,
    'process.executable.name': process.title,
    'process.executable.path': process.execPath,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.runtime.description': 'Node.js',
  };
  if (process.argv[1]) attributes['process.command'] = process.argv[1];
  try {
    attributes['process.owner'] = userInfo().username;
  } catch {
    // No passwd entry for this uid (common in containers): leave the attribute out.
  }
  return attributes;
}

const HOST_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm32', ia32: 'x86', ppc64: 'ppc64', s390x: 's390x' };
const OS_TYPE: Record<string, string> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  sunos: 'solaris',
  aix: 'aix',
};

function hostAttributes(): Attributes {
  const attributes: Attributes = {
    'host.name': hostname(),
    'host.arch': HOST_ARCH[arch()] ?? arch(),
    'os.type': OS_TYPE[platform()] ?? platform(),
    'os.version': release(),
  };
  const id = readFirst(['/etc/machine-id', '/var/lib/dbus/machine-id']);
  if (id) attributes['host.id'] = id;
  return attributes;
}

const CONTAINER_ID = /([0-9a-f]{64})/;

function containerAttributes(): Attributes {
  // cgroup v1 names the container in /proc/self/cgroup; under cgroup v2 the runtime's mount of
  // /etc/hostname in /proc/self/mountinfo is what still carries it.
  const cgroup = readFirst(['/proc/self/cgroup']);
  for (const line of cgroup?.split('\n') ?? []) {
    const match = CONTAINER_ID.exec(line);
    if (match) return { 'container.id': match[1]! };
  }
  const mountinfo = readFirst(['/proc/self/mountinfo']);
  for (const line of mountinfo?.split('\n') ?? []) {
    if (!line.includes('/containers/') && !line.includes('/docker/')) continue;
    const match = CONTAINER_ID.exec(line);
    if (match) return { 'container.id': match[1]! };
  }
  return {};
}

/** Kubernetes attributes from the downward-API variables the pod spec commonly sets. */
function kubernetesAttributes(env: Record<string, string | undefined>): Attributes {
  if (env.KUBERNETES_SERVICE_HOST === undefined) return {};
  const attributes: Attributes = {};
  const set = (key: string, ...names: string[]): void => {
    for (const name of names) {
      const value = env[name];
      if (value) {
        attributes[key] = value;
        return;
      }
    }
  };
  set('k8s.pod.name', 'K8S_POD_NAME', 'POD_NAME', 'HOSTNAME');
  set('k8s.pod.uid', 'K8S_POD_UID', 'POD_UID');
  set('k8s.namespace.name', 'K8S_NAMESPACE_NAME', 'POD_NAMESPACE', 'K8S_NAMESPACE');
  set('k8s.node.name', 'K8S_NODE_NAME', 'NODE_NAME');
  set('k8s.container.name', 'K8S_CONTAINER_NAME', 'CONTAINER_NAME');
  if (attributes['k8s.namespace.name'] === undefined) {
    const ns = readFirst(['/var/run/secrets/kubernetes.io/serviceaccount/namespace']);
    if (ns) attributes['k8s.namespace.name'] = ns;
  }
  return attributes;
}

function readFirst(paths: string[]): string | undefined {
  for (const path of paths) {
    try {
      const text = readFileSync(path, 'utf8').trim();
      if (text !== '') return text;
    } catch {
      // Absent on this platform: try the next.
    }
  }
  return undefined;
}
