// The test page: Splunk's own Dashboard Studio framework (dashboard-core with
// the Enterprise view-only preset) draws the shipped definitions, each search
// replaced by a ds.test data source holding the table the test computed from
// the forwarder's output; window.showView(name) puts one on the page.  On
// load it also runs every definition, as shipped (and a few broken ones),
// through Splunk's validator with the Enterprise preset's schema.
// window.STUDIO_INPUT (written by the test) holds the definitions and tables;
// results go to window.STUDIO_RESULT.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { DashboardCore } from '@splunk/dashboard-core';
import { DashboardContextProvider } from '@splunk/dashboard-context';
import { createSchemaBasedOnPresets } from '@splunk/dashboard-definition';
import { DashboardValidator } from '@splunk/dashboard-validation';
import EnterprisePreset from '@splunk/dashboard-presets/EnterprisePreset';
import EnterpriseViewOnlyPreset from '@splunk/dashboard-presets/EnterpriseViewOnlyPreset';
import CloudViewOnlyPreset from '@splunk/dashboard-presets/CloudViewOnlyPreset';
import SplunkThemeProvider from '@splunk/themes/SplunkThemeProvider';

const input = window.STUDIO_INPUT;
const result = { validation: {}, errors: [] };
window.STUDIO_RESULT = result;
window.addEventListener('error', (e) => result.errors.push(String(e.message)));

function validateAll() {
    const schema = createSchemaBasedOnPresets(EnterprisePreset);
    const all = Object.entries(input.definitions).concat(
        Object.entries(input.mutants || {}).map(([n, d]) => [`mutant: ${n}`, d]));
    for (const [name, def] of all) {
        const v = new DashboardValidator();
        const bad = v.setSchema(schema);
        if (bad) {
            result.validation[name] = [{ message: `schema: ${bad}` }];
            continue;
        }
        const errs = v.validate(def);
        result.validation[name] = errs ? JSON.parse(JSON.stringify(errs)) : [];
    }
}

// The shipped definition with every data source replaced by its test table.
function withTestData(def, tables) {
    const out = JSON.parse(JSON.stringify(def));
    for (const [id, ds] of Object.entries(out.dataSources)) {
        const t = tables[id];
        if (!t) {
            result.errors.push(`no test table for data source ${id}`);
            continue;
        }
        out.dataSources[id] = { type: 'ds.test', name: ds.name, options: { data: t } };
    }
    return out;
}

// The Enterprise time picker loads its presets from splunkweb, which is not
// here; the platform-neutral one of the same framework draws the same input.
const preset = {
    ...EnterpriseViewOnlyPreset,
    inputs: { ...EnterpriseViewOnlyPreset.inputs, 'input.timerange': CloudViewOnlyPreset.inputs['input.timerange'] },
};

const t0 = performance.now();
validateAll();
result.validateMs = performance.now() - t0;

// One page draws every dashboard in turn: window.showView(name) replaces
// what is on the page (the bundle is parsed once).
let root = null;
window.showView = (view) => {
    if (root) {
        root.unmount();
    }
    result.errors = [];
    result.view = view;
    const def = withTestData(input.definitions[view], input.tables[view]);
    const el = document.getElementById('root');
    el.innerHTML = '';
    root = createRoot(el);
    root.render(
        <SplunkThemeProvider family="enterprise" colorScheme="light" density="comfortable">
            <DashboardContextProvider preset={preset} initialDefinition={def}>
                <DashboardCore width="100%" height="100%" onValidationError={(e) => result.errors.push(`validation: ${JSON.stringify(e)}`)} />
            </DashboardContextProvider>
        </SplunkThemeProvider>
    );
};
result.ready = true;
