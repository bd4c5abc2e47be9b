// The dashboard: sign in with a token, then one page of the tenant's figures for the filters
// in the URL (so a view can be shared), each panel from one persisted document.

import { ApiError, createClient } from './api.js';
import { rankingFigures, trendFigures } from './figures.js';
import { AS_OF_SOURCES, CHART_MEASURES, GRANULARITIES } from './measures.js';
import {
  h,
  notice,
  renderAlerts,
  renderBelowReorder,
  renderRanking,
  renderTiles,
  renderTrend,
} from './panels.js';
import {
  addDays,
  comparedRanges,
  dateIn,
  daysBetween,
  instantLabel,
  isDate,
  rangeOf,
} from './time.js';

const TOKEN_KEY = 'shelfops.dashboard.token';
const TOP_CHOICES = [5, 10, 20];
const config = JSON.parse(document.getElementById('dashboard-config').textContent);
const main = document.getElementById('main');
/** The signed-in session's abort controller: signing out ends its requests' streams. */
let session = null;

/**
 * The view the URL asks for, with defaults: the last 28 days in the tenant's zone, every store
 * and category. `zones` are the zones the view may be in, `grains` the granularities the
 * tenant has (the retail periods with a retail calendar).
 */
function viewFromUrl(zones, tenant, grains) {
  const query = new URLSearchParams(location.search);
  const zone = zones.includes(query.get('zone')) ? query.get('zone') : tenant;
  const today = dateIn(new Date(), zone);
  const to = isDate(query.get('to')) ? query.get('to') : today;
  const from =
    isDate(query.get('from')) && query.get('from') <= to ? query.get('from') : addDays(to, -27);
  const days = daysBetween(from, to);
  const grain = grains.some((g) => g.value === query.get('grain'))
    ? query.get('grain')
    : days <= 62
      ? 'DAY'
      : days <= 400
        ? 'WEEK'
        : 'MONTH';
  const measure = CHART_MEASURES.find((m) => m.field === query.get('measure')) ?? CHART_MEASURES[0];
  const top = TOP_CHOICES.includes(Number(query.get('top'))) ? Number(query.get('top')) : 5;
  return {
    zone,
    from,
    to,
    grain,
    measure,
    top,
    store: query.get('store') || '',
    category: query.get('category') || '',
  };
}

/** The URL of a view: only what differs from nothing is written. */
function urlOf(view) {
  const query = new URLSearchParams();
  query.set('from', view.from);
  query.set('to', view.to);
  if (view.store) query.set('store', view.store);
  if (view.category) query.set('category', view.category);
  query.set('grain', view.grain);
  query.set('measure', view.measure.field);
  query.set('top', String(view.top));
  query.set('zone', view.zone);
  return `${location.pathname}?${query}`;
}

function signOut(message) {
  // Every request and stream of the refused token ends with its session.
  session?.abort();
  session = null;
  window.onpopstate = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn(message);
}

/** The sign-in form: a pasted token, or the demo's analyst token when the demo offers one. */
function showSignIn(message) {
  document.getElementById('sign-out').hidden = true;
  document.getElementById('who').textContent = '';
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
  });
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h2', { id: 'sign-in-title', text: 'Sign in' }),
    message ? notice(message, 'error') : null,
    h('label', { for: 'token', text: 'Bearer token' }),
    input,
    h('p', {
      id: 'token-help',
      class: 'help',
      text: 'A token of your tenant (npm run token, or issueToken). It stays in this tab only.',
    }),
    h('button', { type: 'submit', text: 'Sign in' }),
    config.demoToken
      ? h('button', {
          type: 'button',
          id: 'demo-token',
          text: 'Use the demo’s analyst token',
          onclick: () => signIn(config.demoToken),
        })
      : null,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    signIn(input.value.trim());
  });
  main.replaceChildren(form);
  input.focus();
}

function signIn(token) {
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  start(token);
}

/** A labelled select of the filters form. */
function select(name, label, options, value) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: `f-${name}`, text: label }),
    h(
      'select',
      { id: `f-${name}`, name },
      options.map(([v, text]) => h('option', { value: v, selected: v === value, text })),
    ),
  );
}

function dateField(name, label, value, max) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: `f-${name}`, text: label }),
    h('input', { id: `f-${name}`, name, type: 'date', value, max, required: true }),
  );
}

/** A panel: a titled section whose body is filled by its answer (or its error). */
function panel(id, title) {
  const body = h('div', { class: 'panel-body', 'aria-busy': 'true' }, notice('Loading…'));
  const section = h(
    'section',
    { id, class: 'panel', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title`, text: title }),
    body,
  );
  return { section, body };
}

async function fill(body, load) {
  body.setAttribute('aria-busy', 'true');
  try {
    const content = await load();
    body.replaceChildren(...[content].flat());
  } catch (error) {
    if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') return;
    body.replaceChildren(notice(error instanceof Error ? error.message : String(error), 'error'));
  } finally {
    body.setAttribute('aria-busy', 'false');
  }
}

async function start(token) {
  session?.abort();
  const controller = new AbortController();
  session = controller;
  main.replaceChildren(notice('Loading…'));
  const client = createClient({
    operations: config.operations,
    token,
    onUnauthenticated: (message) => signOut(`Signed out: ${message}`),
  });
  let viewer;
  try {
    viewer = await client.query('DashboardViewer');
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'UNAUTHENTICATED')) {
      main.replaceChildren(notice(error.message, 'error'));
    }
    return;
  }
  const stores = viewer.data.stores.edges.map((e) => e.node);
  const { role, customerName, storeIds } = viewer.data.viewer;
  const who = `${customerName ?? 'Tenant'} · ${role.toLowerCase()}${storeIds ? ` · ${stores.length} of the tenant’s stores` : ''}`;
  const signOutButton = document.getElementById('sign-out');
  signOutButton.hidden = false;
  signOutButton.onclick = () => signOut();
  const page = layout(client, {
    stores,
    calendar: viewer.data.tenantCalendar,
    categories: viewer.data.categories,
    who,
    signal: controller.signal,
  });
  window.onpopstate = () => page.load();
  page.load();
}

/** The page for a signed-in user: filters, then the panels, loaded for the URL's view. */
function layout(client, { stores, calendar, categories, who, signal }) {
  // The tenant's reporting zone, as the API tells it; the retail periods when it has a calendar.
  const tenant = calendar.timeZone;
  const grains = GRANULARITIES.filter((g) => !g.periods || calendar.retailCalendar);
  const zones = [...new Set([tenant, ...stores.map((s) => s.timeZone), 'UTC'])];
  let zone = tenant;
  const form = h('form', { class: 'filters', 'aria-label': 'Filters' });
  const asOf = h('p', { class: 'as-of', id: 'as-of', 'aria-live': 'polite' });
  const tiles = panel('kpis', 'Key figures');
  const trend = panel('trend', 'Trend');
  const products = panel('top-products', 'Top products');
  const topStores = panel('top-stores', 'Top stores');
  const reorder = panel('below-reorder', 'Below reorder point');
  const alerts = panel('alerts', 'Alerts');
  const live = h('p', { class: 'live', id: 'alert-stream', role: 'status' });
  const announcer = h('p', {
    class: 'visually-hidden',
    'aria-live': 'assertive',
    id: 'alert-announcer',
  });
  alerts.section.append(live, announcer);
  main.replaceChildren(
    form,
    asOf,
    tiles.section,
    trend.section,
    h('div', { class: 'two' }, products.section, topStores.section),
    h('div', { class: 'two' }, reorder.section, alerts.section),
  );
  let stream = null;
  let streamKey = null;
  let openAlerts = [];
  let redraw = null;
  const resized = new ResizeObserver(() => redraw?.());
  resized.observe(main);
  signal.addEventListener('abort', () => {
    stream?.abort();
    resized.disconnect();
  });

  function showAlerts() {
    alerts.body.replaceChildren(renderAlerts(openAlerts, zone));
  }

  function follow(storeCodes) {
    const key = JSON.stringify(storeCodes);
    if (key === streamKey) return;
    stream?.abort();
    stream = new AbortController();
    streamKey = key;
    client.subscribe(
      'DashboardAlertRaised',
      { storeCodes },
      {
        signal: stream.signal,
        onState: (state, detail) => {
          live.dataset.state = state;
          live.textContent =
            state === 'live'
              ? 'Live: new alerts appear here as they are raised.'
              : `Live alerts ${state}${detail ? `: ${detail}` : ''}.`;
        },
        onNext: ({ alertRaised: alert }) => {
          openAlerts = [alert, ...openAlerts.filter((a) => a.id !== alert.id)];
          showAlerts();
          announcer.textContent = `New ${alert.severity.toLowerCase()} alert at ${alert.store.code}: ${alert.message}`;
        },
      },
    );
  }

  function filters(view) {
    form.replaceChildren(
      dateField('from', 'From', view.from, view.to),
      dateField('to', 'To', view.to),
      select(
        'store',
        'Store',
        [['', 'All stores'], ...stores.map((s) => [s.code, `${s.code} · ${s.name}`])],
        view.store,
      ),
      select(
        'category',
        'Category',
        [['', 'All categories'], ...categories.map((c) => [c, c])],
        view.category,
      ),
      select(
        'grain',
        'Trend by',
        grains.map((g) => [g.value, g.label]),
        view.grain,
      ),
      select(
        'measure',
        'Measure',
        CHART_MEASURES.map((m) => [m.field, m.label]),
        view.measure.field,
      ),
      select(
        'zone',
        'Time zone',
        zones.map((z) => [z, z === tenant ? `${z} (tenant)` : z]),
        view.zone,
      ),
      select(
        'top',
        'Top',
        TOP_CHOICES.map((n) => [String(n), String(n)]),
        String(view.top),
      ),
      h('button', { type: 'submit', text: 'Apply' }),
      h('button', { type: 'button', id: 'refresh', text: 'Refresh', onclick: () => load() }),
    );
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams();
    for (const [key, value] of data) if (value) next.set(key, String(value));
    history.pushState(null, '', `${location.pathname}?${next}`);
    load();
  });

  async function load() {
    const view = viewFromUrl(zones, tenant, grains);
    const granularity = grains.find((g) => g.value === view.grain);
    zone = view.zone;
    document.getElementById('who').textContent = `${who} · times in ${zone}`;
    history.replaceState(null, '', urlOf(view));
    filters(view);
    const range = rangeOf(view.from, view.to, zone);
    const storeCodes = view.store ? [view.store] : null;
    const categoriesFilter = view.category ? [view.category] : null;
    const scope = { range, storeCodes, categories: categoriesFilter };
    const answers = [];
    const run = async (name, variables) => {
      const answer = await client.query(name, variables);
      answers.push(answer);
      return answer;
    };
    follow(storeCodes);
    await Promise.all([
      fill(tiles.body, async () => {
        const [kpis, receipts] = await Promise.all([
          run('DashboardKpis', scope),
          run('DashboardReceipts', {
            range,
            ...comparedRanges(range),
            groupBy: view.category ? 'CATEGORY' : null,
            storeCodes,
          }),
        ]);
        return renderTiles(kpis, receipts, { category: view.category });
      }),
      fill(trend.body, async () => {
        const figures = await trendFigures(run, {
          scope,
          measure: view.measure,
          granularity,
          zone,
        });
        const drawn = renderTrend(figures, {
          measure: view.measure,
          granularity,
          zone,
        });
        redraw = drawn.draw;
        requestAnimationFrame(drawn.draw);
        return drawn.element;
      }),
      (async () => {
        const rankings = rankingFigures(run, {
          scope,
          measure: view.measure,
          top: view.top,
          category: view.category,
        });
        await Promise.all([
          fill(products.body, async () =>
            renderRanking((await rankings).products, { noun: 'products', measure: view.measure }),
          ),
          fill(topStores.body, async () =>
            renderRanking((await rankings).stores, { noun: 'stores', measure: view.measure }),
          ),
        ]);
      })(),
      fill(reorder.body, async () =>
        renderBelowReorder(await run('DashboardBelowReorderPoint', { storeCodes }), {
          category: view.category,
        }),
      ),
      fill(alerts.body, async () => {
        const answer = await run('DashboardOpenAlerts', { storeCodes });
        openAlerts = answer.data.alerts.edges.map((e) => e.node);
        return renderAlerts(openAlerts, zone);
      }),
    ]);
    const times = AS_OF_SOURCES.map((source) =>
      answers.map((answer) => source.read(answer)).filter(Boolean),
    ).find((found) => found.length > 0);
    if (times) {
      const earliest = new Date(Math.min(...times.map((t) => new Date(t).getTime())));
      asOf.replaceChildren(
        'As of ',
        h('time', { datetime: earliest.toISOString(), text: instantLabel(earliest, zone) }),
        ` (${zone}).`,
      );
    } else {
      asOf.replaceChildren();
    }
    document.body.dataset.loaded = String(Date.now());
  }

  return { load };
}

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) start(saved);
else showSignIn();
