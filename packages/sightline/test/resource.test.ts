// The resource: service identity, process, host and Kubernetes attributes, with no network probes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { buildResource } from '../src/resource/resource.js';
import { captureLog } from './support/capture-log.js';

describe('resource', () => {
  it('has the service, SDK, process and host attributes', () => {
    const r = buildResource(
      loadConfig({}, { OTEL_SERVICE_NAME: 'orders', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.version=1.4.0' }),
    );
    assert.equal(r['service.name'], 'orders');
    assert.equal(r['service.version'], '1.4.0');
    assert.equal(r['deployment.environment.name'], 'prod');
    assert.equal(r['telemetry.sdk.name'], 'sightline');
    assert.equal(r['telemetry.sdk.language'], 'nodejs');
    assert.equal(r['process.pid'], process.pid);
    assert.equal(r['process.runtime.name'], 'nodejs');
    assert.equal(r['process.runtime.version'], process.versions.node);
    assert.equal(typeof r['host.name'], 'string');
    assert.equal(r['os.type'], 'linux');
  });

  it('gives every start its own service.instance.id', () => {
    const config = loadConfig({}, { OTEL_SERVICE_NAME: 'x' });
    assert.notEqual(buildResource(config)['service.instance.id'], buildResource(config)['service.instance.id']);
  });

  it('lets OTEL_RESOURCE_ATTRIBUTES override what is detected, and OTEL_SERVICE_NAME override both', () => {
    const r = buildResource(loadConfig({}, { OTEL_SERVICE_NAME: 'a', OTEL_RESOURCE_ATTRIBUTES: 'service.name=b,host.name=custom' }));
    assert.equal(r['service.name'], 'a');
    assert.equal(r['host.name'], 'custom');
  });

  it('falls back to the package.json name with one warning', () => {
    const captured = captureLog();
    try {
      const r = buildResource(loadConfig({}, {}));
      assert.equal(typeof r['service.name'], 'string');
      assert.notEqual(r['service.name'], '');
      assert.equal(captured.lines.length, 1);
      assert.match(
        captured.lines[0]!,
        /OTEL_SERVICE_NAME is not set; using "[^"]+", the name in .*package\.json|no package\.json with a name was found/,
      );
    } finally {
      captured.restore();
    }
  });

  it('reads Kubernetes attributes from the downward-API environment', () => {
    const r = buildResource(
      loadConfig(
        {},
        {
          OTEL_SERVICE_NAME: 'x',
          KUBERNETES_SERVICE_HOST: '10.0.0.1',
          K8S_POD_NAME: 'orders-7d9f',
          POD_NAMESPACE: 'shop',
          NODE_NAME: 'node-3',
          K8S_POD_UID: 'uid-1',
        },
      ),
    );
    assert.equal(r['k8s.pod.name'], 'orders-7d9f');
    assert.equal(r['k8s.namespace.name'], 'shop');
    assert.equal(r['k8s.node.name'], 'node-3');
    assert.equal(r['k8s.pod.uid'], 'uid-1');
    const outside = buildResource(loadConfig({}, { OTEL_SERVICE_NAME: 'x', K8S_POD_NAME: 'ignored' }));
    assert.equal(outside['k8s.pod.name'], undefined, 'only inside Kubernetes');
  });
});
