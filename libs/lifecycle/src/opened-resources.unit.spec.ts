import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OpenedResources, startOrRelease } from './opened-resources.js';

describe('OpenedResources', () => {
  const resource = (name: string, log: string[], fails = false) => ({
    close: () => {
      log.push(name);
      return fails ? Promise.reject(new Error(`${name} would not close`)) : Promise.resolve();
    },
  });

  it('a failed start closes what was opened, last first, even when one close fails, and rethrows', async () => {
    const log: string[] = [];
    await assert.rejects(
      startOrRelease(async (opened) => {
        await opened.add(Promise.resolve(resource('store', log)));
        opened.track(resource('bus', log, true));
        opened.track(resource('runtime', log));
        throw new Error('consumer could not be created');
      }),
      /consumer could not be created/,
    );
    assert.deepEqual(log, ['runtime', 'bus', 'store']);
  });

  it('closes at once what finishes opening after the start was given up', async () => {
    const log: string[] = [];
    const opened = new OpenedResources();
    await opened.closeAll();
    await opened.add(Promise.resolve(resource('late store', log)));
    assert.deepEqual(log, ['late store']);
  });

  it('a successful start closes nothing', async () => {
    const log: string[] = [];
    assert.equal(await startOrRelease(async (opened) => (opened.track(resource('store', log)), 'running')), 'running');
    assert.deepEqual(log, []);
  });
});
