'use strict';
// Load the test page in headless Chromium (playwright-core drives the
// system's chromium): collect the validator's findings, then draw each
// dashboard in turn and record what each visualization shows, and a PNG.
// usage: node render.cjs PAGE_DIR CHROMIUM OUT_JSON VIEW...
const { chromium } = require('playwright-core');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// A single value draws its number as text; charts draw svg or canvas; tables cells.
const drawn = (s) => s.found && (s.svg > 0 || s.canvas > 0 || s.cells > 0 || /\d/.test(s.value || ''));

function inspect(vizIds) {
    const res = {};
    for (const id of vizIds) {
        const el = document.querySelector(`[data-id="${id}"]`) || document.getElementById(id);
        if (!el) {
            res[id] = { found: false };
            continue;
        }
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
}

async function main() {
    const [pageDir, executablePath, outJson, ...views] = process.argv.slice(2);
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ipv6probe-chromium-'));
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'];
    const context = await chromium.launchPersistentContext(profile, {
        executablePath, args, headless: true, viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1,
    });
    const out = { views: {} };
    try {
        const page = await context.newPage();
        const log = [];
        page.on('console', (m) => { if (m.type() === 'error') log.push(m.text()); });
        page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
        page.on('requestfailed', (r) => log.push(`request failed: ${r.url()}`));
        await page.goto('file://' + path.resolve(pageDir, 'page.html'), { timeout: 180000 });
        await page.waitForFunction(() => window.STUDIO_RESULT && window.STUDIO_RESULT.ready, null, { timeout: 180000 });
        out.validation = await page.evaluate(() => window.STUDIO_RESULT.validation);
        out.validateMs = await page.evaluate(() => window.STUDIO_RESULT.validateMs);
        for (const view of views) {
            const t0 = Date.now();
            log.length = 0;
            await page.setViewportSize({ width: 1440, height: 900 });
            await page.evaluate((v) => window.showView(v), view);
            const ids = await page.evaluate((v) => Object.keys(window.STUDIO_INPUT.definitions[v].visualizations), view);
            // Every visualization has drawn something, or two minutes have passed
            // (the test then says which did not).
            let state = null;
            const deadline = Date.now() + 120000;
            while (Date.now() < deadline) {
                state = await page.evaluate(inspect, ids);
                if (Object.values(state).every(drawn)) break;
                await page.waitForTimeout(200);
            }
            await page.waitForTimeout(1200); // chart animations end before the picture
            state = await page.evaluate(inspect, ids);
            const height = await page.evaluate(() => document.getElementById('root').scrollHeight);
            await page.setViewportSize({ width: 1440, height: Math.max(600, Math.min(height, 4000)) });
            await page.waitForTimeout(300);
            const png = path.join(pageDir, `${view}.png`);
            await page.screenshot({ path: png, fullPage: true });
            const errors = await page.evaluate(() => window.STUDIO_RESULT.errors);
            out.views[view] = { state, png, errors, console: [...log], ms: Date.now() - t0 };
        }
    } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
    fs.writeFileSync(outJson, JSON.stringify(out, null, 1));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
