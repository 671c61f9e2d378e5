// appflowc ui: renders the snapshots the server pushes. Every string from the cluster
// reaches the DOM as text (text nodes and data- attributes), never as markup.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const open = new Set(); // keys of <details> the user opened
  let snap = null;

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "onclick") e.addEventListener("click", v);
      else e.setAttribute(k, String(v));
    }
    for (const k of kids.flat()) {
      if (k === undefined || k === null || k === false) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }

  function pill(v) { return el("span", { class: "pill", "data-v": v }, v); }

  function duration(run, now) {
    if (!run.started) return "";
    const end = run.finished ? Date.parse(run.finished) : now;
    let s = Math.max(0, Math.round((end - Date.parse(run.started)) / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    s = s % 60;
    return h ? `${h}h${m}m` : m ? `${m}m${s}s` : `${s}s`;
  }

  function ago(t, now) {
    if (!t) return "";
    const s = Math.round((now - Date.parse(t)) / 1000);
    if (s < 60) return `${s}s ago`;
    if (s < 3600) return `${Math.floor(s / 60)}m ago`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
    return `${Math.floor(s / 86400)}d ago`;
  }

  function progress(p) {
    const m = /^(\d+)\/(\d+)$/.exec(p || "");
    if (!m || +m[2] === 0) return 0;
    return Math.min(100, (100 * +m[1]) / +m[2]);
  }

  function details(key, summary, body) {
    const d = el("details", {}, el("summary", {}, summary), body);
    if (open.has(key)) d.open = true;
    d.addEventListener("toggle", () => (d.open ? open.add(key) : open.delete(key)));
    return d;
  }

  // The nodes a person reads: step groups and task groups are Argo's bookkeeping (their
  // steps are shown in order without them), and a retry node with one attempt is that
  // attempt, under the step's name.
  function visible(node) {
    const out = [];
    for (const c of node.children || []) {
      if (c.type === "StepGroup" || c.type === "TaskGroup") out.push(...visible(c));
      else if (c.type === "Retry" && (c.children || []).length === 1) out.push(Object.assign({}, c.children[0], { label: c.name }));
      else out.push(c);
    }
    return out;
  }

  function steps(run, node, root) {
    const ul = el("ul", { class: root ? "steps root" : "steps" });
    for (const c of visible(node)) {
      const label = c.label || c.name;
      const name = c.type === "Pod" && c.node
        ? el("button", { class: "name", type: "button", title: "Show this step's log", onclick: () => showLogs(run.name, c.node, label) }, label)
        : el("span", { class: "name" }, label);
      const li = el("li", {}, el("div", { class: "step", "data-step": label, "data-phase": c.phase || "Pending" },
        el("span", { class: "dot", title: c.phase || "Pending" }), name, c.message ? el("span", { class: "msg", title: c.message }, c.message) : null));
      if (visible(c).length) li.append(steps(run, c, false));
      ul.append(li);
    }
    return ul;
  }

  function runView(e, run, now) {
    const div = el("div", { class: "run", "data-run": run.name, "data-phase": run.phase },
      el("div", { class: "run-head" }, pill(run.phase), el("span", { class: "run-name" }, run.name),
        el("span", { class: "run-meta", "data-started": run.started || "", "data-finished": run.finished || "" },
          [run.progress, duration(run, now)].filter(Boolean).join(" · "))),
      el("div", { class: "bar" }, (() => { const b = el("div"); b.style.width = (run.phase === "Succeeded" ? 100 : progress(run.progress)) + "%"; return b; })()));
    if (run.phase === "Failed" || run.phase === "Error") {
      const f = el("div", { class: "failure", "data-failure": run.name },
        el("b", {}, run.failed ? `step ${run.failed} failed` : `run ${run.phase.toLowerCase()}`), run.message || "");
      for (const d of run.diagnosis || []) f.append(el("div", { class: "diagnosis" }, "Argo CD: " + d));
      div.append(f);
    } else if (run.message) {
      div.append(el("div", { class: "sub" }, run.message));
    }
    if (run.steps) {
      const tree = steps(run, run.steps, true);
      if (run.hiddenSteps) tree.append(el("li", { class: "none" }, `… ${run.hiddenSteps} more steps (appflowc status ${run.name} shows all)`));
      div.append(tree);
    } else if (run.hiddenSteps) {
      div.append(el("div", { class: "none" }, `${run.hiddenSteps} steps not shown on this page (appflowc status ${run.name} shows them)`));
    }
    return div;
  }

  function entryView(e, now) {
    const latest = e.runs[0];
    const card = el("section", { class: "entry", "data-entry": e.name, "data-state": latest ? latest.phase : "none" },
      el("div", { class: "entry-head" }, el("span", { class: "entry-name" }, e.name), e.kind ? el("span", { class: "kind" }, e.kind) : null,
        e.source ? el("span", { class: "source" }, e.source) : null));
    if (e.cron) {
      card.append(el("div", { class: "sub" }, `CronWorkflow ${e.cron.name} · ${e.cron.schedule}` + (e.cron.timezone ? ` (${e.cron.timezone})` : "") +
        (e.cron.suspended ? " · suspended" : "") + (e.cron.lastScheduled ? ` · last run ${ago(e.cron.lastScheduled, now)}` : "") +
        (e.cron.active ? ` · ${e.cron.active} active` : "")));
    } else if (e.schedule) {
      card.append(el("div", { class: "sub" }, `schedule ${e.schedule} (CronWorkflow not on the cluster)`));
    }
    card.append(el("h3", {}, "Runs"));
    if (!latest) {
      card.append(el("div", { class: "none" }, "no run in this namespace yet"));
    } else {
      card.append(runView(e, latest, now));
      if (e.runs.length > 1) {
        card.append(el("div", { class: "older" }, e.runs.slice(1).map((r) =>
          el("span", { class: "chip", "data-phase": r.phase, title: `${r.phase} ${r.started || ""}` }, r.name))));
      }
    }
    if (e.kind === "application" || e.kind === "applicationset" || e.apps.length) {
      card.append(el("h3", {}, "Argo CD"));
      if (e.appSetMessage) card.append(el("div", { class: "failure" }, el("b", {}, "ApplicationSet error"), e.appSetMessage));
      if (!e.apps.length) {
        card.append(el("div", { class: "none" }, "no Application on the cluster"));
      } else {
        card.append(el("table", { class: "apps" }, el("tbody", {}, e.apps.map((a) =>
          el("tr", { "data-app": a.name, "data-sync": a.sync, "data-health": a.health },
            el("td", { class: "app-name" }, a.name), el("td", {}, pill(a.sync)), el("td", {}, pill(a.health)),
            el("td", { class: "app-msg" }, a.health === "Healthy" ? "" : a.message || ""))))));
        if (e.hiddenApps) card.append(el("div", { class: "none" }, `… ${e.hiddenApps} more Applications`));
      }
    }
    if (e.plan) card.append(details("plan:" + e.name, "steps as configured (appflowc graph)", el("pre", { class: "plan" }, e.plan)));
    return card;
  }

  function render() {
    if (!snap) return;
    const now = Date.now();
    $("scope").textContent = `Workflows in ${snap.namespace} · Argo CD in ${snap.argocdNamespace}`;
    const probs = $("problems");
    probs.replaceChildren(...(snap.problems || []).map((p) => el("div", {}, "⚠ " + p)));
    probs.hidden = !(snap.problems || []).length;
    $("empty").hidden = snap.entries.length > 0;
    const cards = snap.entries.map((e) => entryView(e, now));
    if (snap.hiddenEntries) cards.push(el("p", { class: "none" }, `… ${snap.hiddenEntries} more entries (appflowc list shows them)`));
    $("entries").replaceChildren(...cards);
  }

  // Running runs' durations advance between snapshots.
  setInterval(() => {
    if (!snap) return;
    const now = Date.now();
    for (const m of document.querySelectorAll(".run-meta")) {
      if (!m.dataset.started || m.dataset.finished) continue;
      const parts = m.textContent.split(" · ");
      parts[parts.length - 1] = duration({ started: m.dataset.started }, now);
      m.textContent = parts.join(" · ");
    }
  }, 1000);

  function connect() {
    const es = new EventSource("events");
    const conn = $("conn");
    es.addEventListener("open", () => { conn.dataset.state = "live"; conn.textContent = "live"; });
    es.addEventListener("error", () => {
      conn.dataset.state = "lost";
      // CLOSED: the server answered but not with events (appflowc ui was restarted and
      // this address is gone); otherwise the browser is retrying by itself.
      conn.textContent = es.readyState === EventSource.CLOSED ? "gone: start appflowc ui again and open the address it prints" : "reconnecting…";
    });
    es.addEventListener("snapshot", (ev) => {
      conn.dataset.state = "live"; conn.textContent = "live";
      snap = JSON.parse(ev.data);
      render();
    });
  }

  let logStream = null;
  function showLogs(workflow, node, step) {
    if (logStream) logStream.close();
    const body = $("logs-body");
    body.replaceChildren();
    $("logs-title").textContent = `${workflow} · ${step}`;
    $("logs").hidden = false;
    const q = new URLSearchParams({ workflow, node });
    logStream = new EventSource("logs?" + q.toString());
    let n = 0, chars = 0;
    logStream.addEventListener("line", (ev) => {
      const atEnd = body.scrollTop + body.clientHeight >= body.scrollHeight - 4;
      const line = JSON.parse(ev.data) + "\n";
      body.append(line);
      // The newest 5,000 lines, and at most 4 MB of text, stay on the page.
      n++;
      chars += line.length;
      while ((n > 5000 || chars > 4e6) && body.firstChild) {
        chars -= body.firstChild.textContent.length;
        n--;
        body.firstChild.remove();
      }
      if (atEnd) body.scrollTop = body.scrollHeight;
    });
    logStream.addEventListener("end", (ev) => {
      const e = JSON.parse(ev.data);
      body.append(el("span", { class: "end" }, e.error ? `— ${e.error}` : e.note ? `— ${e.note}` : "— end of log"));
      logStream.close();
      logStream = null;
    });
    logStream.addEventListener("error", () => {
      if (logStream && logStream.readyState === EventSource.CLOSED) {
        body.append(el("span", { class: "end" }, "— log unavailable: the step is no longer on the page, or too many logs are open (8 at most)"));
        logStream = null;
      }
    });
  }
  $("logs-close").addEventListener("click", () => {
    if (logStream) logStream.close();
    logStream = null;
    $("logs").hidden = true;
  });

  connect();
})();
