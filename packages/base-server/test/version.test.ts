// A service's version comes from its package.json (changesets bumps it), found from the module's URL.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from '@jest/globals';
import { packageVersion } from '../src/index.js';

describe('packageVersion', () => {
  const dir = mkdtempSync(join(tmpdir(), 'factory-version-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('reads the nearest package.json above the module, from src/ or dist/', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@factory/x', version: '3.4.5' }));
    mkdirSync(join(dir, 'dist', 'tools'), { recursive: true });
    expect(packageVersion(pathToFileURL(join(dir, 'dist', 'app.js')).href)).toBe('3.4.5');
    expect(packageVersion(pathToFileURL(join(dir, 'dist', 'tools', 'catalog.js')).href)).toBe('3.4.5');
  });

  test('a package.json without a version is an error naming the file', () => {
    const bare = join(dir, 'bare');
    mkdirSync(join(bare, 'src'), { recursive: true });
    writeFileSync(join(bare, 'package.json'), JSON.stringify({ name: 'bare' }));
    expect(() => packageVersion(pathToFileURL(join(bare, 'src', 'a.js')).href)).toThrow(`${join(bare, 'package.json')} has no "version"`);
  });
});
