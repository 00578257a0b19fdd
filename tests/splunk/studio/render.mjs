// Load the test page in headless Chromium (playwright-core drives the
// system's chromium), once per dashboard: collect the validator's findings,
// what each visualization shows, and a PNG of the whole dashboard.
// usage: node render.mjs PAGE_DIR CHROMIUM OUT_JSON VIEW...
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [pageDir, executablePath, outJson, ...views] = process.argv.slice(2);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ipv6probe-chromium-'));
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--allow-file-access-from-files'];
const context = await chromium.launchPersistentContext(profile, {
    executablePath, args, headless: true, viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
});
const out = { views: {} };
// A single value draws its number as text; charts draw svg or canvas; tables cells.
const drawn = (s) => s.found && (s.svg > 0 || s.canvas > 0 || s.cells > 0 || /\d/.test(s.value || ''));
try {
    for (const view of views) {
        const page = await context.newPage();
        const log = [];
        page.on('console', (m) => { if (m.type() === 'error') log.push(m.text()); });
        page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
        const url = 'file://' + path.resolve(pageDir, 'page.html') + '?view=' + encodeURIComponent(view);
        await page.goto(url);
        await page.waitForFunction(() => window.STUDIO_RESULT && window.STUDIO_RESULT.ready, null, { timeout: 60000 });
        // Rendered: every visualization has drawn something (an svg, a canvas
        // or table cells) and none shows a waiting or error message.
        const ids = await page.evaluate(() => Object.keys(window.STUDIO_INPUT.definitions[new URLSearchParams(location.search).get('view')].visualizations));
        let state = null;
        const deadline = Date.now() + 60000;
        while (Date.now() < deadline) {
            state = await page.evaluate((vizIds) => {
                const res = {};
                for (const id of vizIds) {
                    const el = document.querySelector(`[data-id="${id}"]`) || document.getElementById(id);
                    if (!el) { res[id] = { found: false }; continue; }
                    res[id] = {
                        found: true,
                        text: el.innerText.slice(0, 4000),
                        value: (el.querySelector('[data-test="single-value"], [data-test*="major" i]') || {}).textContent || '',
                        svg: el.querySelectorAll('svg path, svg rect, svg circle').length,
                        canvas: el.querySelectorAll('canvas').length,
                        cells: el.querySelectorAll('td, [role="cell"], [role="gridcell"]').length,
                        error: !!el.querySelector('[data-test*="error" i], [data-test*="message" i], [class*="ErrorMessage"], [class*="error-message" i]'),
                    };
                }
                return res;
            }, ids);
            const done = Object.values(state).every(drawn);
            if (done) break;
            await page.waitForTimeout(250);
        }
        await page.waitForTimeout(1500); // let chart animations finish before the picture
        const height = await page.evaluate(() => document.getElementById('root').scrollHeight);
        await page.setViewportSize({ width: 1440, height: Math.max(600, Math.min(height, 4000)) });
        await page.waitForTimeout(500);
        const png = path.join(pageDir, `${view}.png`);
        await page.screenshot({ path: png, fullPage: true });
        const result = await page.evaluate(() => window.STUDIO_RESULT);
        out.views[view] = { state, png, errors: result.errors, console: log, validation: result.validation };
        await page.close();
    }
} finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
}
fs.writeFileSync(outJson, JSON.stringify(out, null, 1));
