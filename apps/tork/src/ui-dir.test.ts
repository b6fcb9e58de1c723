import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { withUiDir } from './ui-dir.js';

const exists =
  (...files: string[]) =>
  (path: string): boolean =>
    files.includes(path);

describe('withUiDir', () => {
  it("finds the installation's apps/web/dist from the bin script or the bundle", () => {
    const config = loadConfig([], {});
    const present = exists('/app/apps/web/dist/index.html');

    expect(withUiDir(config, '/app/apps/tork/bin/tork.js', present).uiDir).toBe('/app/apps/web/dist');
    expect(withUiDir(config, '/app/apps/tork/dist/main.js', present).uiDir).toBe('/app/apps/web/dist');
  });

  it('serves no dashboard where it was not built, silently', () => {
    const config = withUiDir(loadConfig([], {}), '/app/apps/tork/bin/tork.js', exists());

    expect(config.uiDir).toBeUndefined();
    expect(config.warnings).toEqual([]);
  });

  it('takes -ui-dir (or TORK_UI_DIR) first, and warns when it holds no index.html', () => {
    const given = loadConfig(['-ui-dir', '/srv/ui'], {});
    expect(withUiDir(given, '/app/apps/tork/bin/tork.js', exists('/srv/ui/index.html')).uiDir).toBe(
      '/srv/ui',
    );
    expect(loadConfig([], { TORK_UI_DIR: '/srv/ui' }).uiDir).toBe('/srv/ui');

    const missing = withUiDir(given, '/app/apps/tork/bin/tork.js', exists('/app/apps/web/dist/index.html'));
    expect(missing.uiDir).toBeUndefined();
    expect(missing.warnings).toEqual(['-ui-dir /srv/ui holds no index.html: the dashboard is not served']);
  });
});
