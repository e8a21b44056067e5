// The staff pages: plain DOM over /v1/staff/*. User text is only ever set as textContent, never as HTML.
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const yuan = (n) => (n === null || n === undefined) ? "未规定金额" : n.toLocaleString("en-US") + " 元";
const STATUS = {eligible: "符合条件", needs_info: "尚需信息", not_eligible: "不符合条件"};

async function api(path, options) {
  const response = await fetch(path, Object.assign({credentials: "same-origin"}, options || {}));
  if (response.status === 401 || response.status === 403) { window.location.assign("/staff/login"); throw new Error("login"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
  return body;
}

function query(form) {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form).entries()) if (v !== "") params.append(k, v);
  return params;
}

document.getElementById("logout")?.addEventListener("click", async (e) => {
  e.preventDefault();
  await fetch("/v1/staff/logout", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"});
  window.location.assign("/staff/login");
});

// ---- review list ----------------------------------------------------------------------------
async function reviewPage() {
  const form = document.getElementById("filters");
  const options = await api("/v1/staff/options");
  const fill = (id, values, label) => { for (const v of values) document.getElementById(id).append(el("option", {value: v}, label ? label(v) : v)); };
  fill("f-channel", options.channels);
  fill("f-owner", options.owners);
  fill("f-programme", options.programmes, (p) => options.titles[p] || p);
  const tbody = document.querySelector("#conversations tbody");
  let offset = 0;
  async function load(append) {
    const params = query(form);
    params.set("offset", String(offset));
    const page = await api("/v1/staff/conversations?" + params.toString());
    if (!append) tbody.replaceChildren();
    document.getElementById("count").textContent = `共 ${page.total} 个会话`;
    for (const c of page.conversations) {
      const marks = [c.down ? el("span", {class: "tag down"}, `👎 ${c.down}`) : null, c.up ? el("span", {class: "tag up"}, `👍 ${c.up}`) : null,
        c.out_of_scope ? el("span", {class: "tag out"}, "超出范围") : null, c.confirm ? el("span", {class: "tag"}, "追问") : null];
      const row = el("tr", {class: "row", "data-session": c.session_id,
        onclick: () => window.location.assign("/staff/conversation?id=" + encodeURIComponent(c.session_id))},
        el("td", {}, c.last_at.slice(0, 19).replace("T", " ")), el("td", {}, c.channel || "—"), el("td", {}, c.owner || "—"),
        el("td", {}, c.turns), el("td", {}, el("a", {href: "/staff/conversation?id=" + encodeURIComponent(c.session_id)}, c.first_message)),
        el("td", {}, c.programmes.map((p) => options.titles[p] || p).join("、")), el("td", {}, marks),
        el("td", {}, el("a", {class: "packet", href: `/v1/staff/conversations/${encodeURIComponent(c.session_id)}/packet?format=pdf`,
          onclick: (e) => e.stopPropagation()}, "转办单")));
      tbody.append(row);
    }
    offset += page.conversations.length;
    document.getElementById("more").hidden = offset >= page.total;
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); offset = 0; load(false); });
  document.getElementById("more").addEventListener("click", () => load(true));
  await load(false);
}

// ---- one conversation ------------------------------------------------------------------------
function factLine(source) {
  const project = Number.isInteger(source.project) ? `（项目${source.project + 1}）` : "";
  const value = typeof source.value === "number" ? source.value.toLocaleString("en-US") : JSON.stringify(source.value);
  return el("li", {class: "fact", "data-fact": source.fact}, el("strong", {title: source.fact}, (source.label || source.fact) + project), "：", value,
    source.derivation ? `（${source.derivation}）` : null, " ← ", el("q", {class: "source"}, source.quote));
}

function stepLine(step) {
  // a typed engine step: its kind and article, then each named value (figures with separators)
  const parts = Object.entries(step).filter(([k, v]) => !["kind", "article"].includes(k) && v !== null && v !== "" &&
    !(Array.isArray(v) && !v.length)).map(([k, v]) => `${k}=${typeof v === "number" ? v.toLocaleString("en-US") : JSON.stringify(v)}`);
  return `${step.kind || "step"}${step.article ? `（第${step.article}条）` : ""}${parts.length ? "：" + parts.join("，") : ""}`;
}

function estimateBlock(e) {
  return el("div", {class: "estimate"},
    el("h4", {}, `第${e.article}条 ${e.title} ${e.project || ""} · ${STATUS[e.status] || e.status} · `,
      el("span", {class: "figure"}, "最高 " + yuan(e.ceiling_yuan)), e.cap_yuan ? `（上限 ${yuan(e.cap_yuan)}）` : "",
      e.counted === false ? "（未计入合计）" : ""),
    el("ol", {class: "trace"}, (e.trace || []).map((t) => el("li", {}, t))),
    e.steps && e.steps.length ? el("ul", {class: "steps"}, e.steps.map((s) => el("li", {}, stepLine(s)))) : null,
    e.missing && e.missing.length ? el("p", {}, "尚需：" + e.missing.join("、")) : null);
}

async function conversationPage() {
  const id = new URLSearchParams(window.location.search).get("id") || "";
  const c = await api("/v1/staff/conversations/" + encodeURIComponent(id));
  const base = "/v1/staff/conversations/" + encodeURIComponent(id) + "/packet";
  document.getElementById("packet-pdf").href = base + "?format=pdf";
  document.getElementById("packet-json").href = base + "?format=json";
  document.getElementById("summary").append(el("h2", {}, "会话 " + c.session_id),
    el("p", {}, `渠道 ${c.channel || "—"} · 接入方 ${c.owner || "—"} · 用户 ${c.user_id || "—"} · ${c.started_at.slice(0, 19)} 至 ${c.last_at.slice(0, 19)}`));
  const turns = document.getElementById("turns");
  for (const t of c.turns) {
    turns.append(el("section", {class: "turn", "data-turn": t.turn},
      el("h3", {}, `第 ${t.turn + 1} 轮 · ${t.at.slice(0, 19).replace("T", " ")} · 生成方式 ${t.composer || "—"}`,
        t.in_scope ? "" : " · 超出政策范围", t.asks_to_confirm ? " · 追问" : ""),
      el("div", {class: "message"}, "企业：", t.message),
      el("div", {class: "answer"}, t.answer),
      el("div", {class: "grid"},
        el("div", {class: "facts"}, el("h4", {}, t.fact_sources_exact ? "已理解的事实及原话" : "已理解的事实（出自该轮消息）"),
          el("ul", {}, t.fact_sources.map(factLine))),
        el("div", {class: "citations"}, el("h4", {}, "引用"),
          el("ul", {}, t.citations.map((q) => el("li", {}, `第${q.article}条 ${q.title}：`, el("q", {}, q.quote)))))),
      el("div", {class: "estimates"}, t.estimates.map(estimateBlock),
        t.total_ceiling_yuan !== null ? el("p", {class: "figure"}, "合计最高 " + yuan(t.total_ceiling_yuan)) : null),
      t.follow_up.length ? el("p", {}, "追问：" + t.follow_up.join(" ")) : null,
      el("div", {class: "feedback"}, t.feedback.map((f) => el("span", {class: "tag " + f.rating},
        (f.rating === "down" ? "👎" : "👍") + (f.reason ? " " + f.reason : ""))))));
  }
  // the marking form, prefilled from what the last turn said (or from an earlier marking)
  const rows = document.getElementById("expect-rows");
  const addRow = (article, ceiling) => rows.append(el("div", {class: "expect-row"},
    el("label", {}, "条款 ", el("input", {class: "expect-article", size: "4", value: article ?? ""})),
    el("label", {}, " 预期最高（元） ", el("input", {class: "expect-ceiling", type: "number", min: "0", value: ceiling ?? ""}))));
  const last = c.turns[c.turns.length - 1];
  if (c.expected) {
    for (const [a, v] of Object.entries(c.expected.expect)) addRow(a, v);
    document.getElementById("expect-out").checked = c.expected.out_of_scope;
    if (c.expected.total !== null) document.getElementById("expect-total").value = c.expected.total;
  } else {
    for (const e of last.estimates) addRow(e.article, e.ceiling_yuan);
    document.getElementById("expect-out").checked = !last.in_scope;
  }
  document.getElementById("add-article").addEventListener("click", () => addRow("", ""));
  const notice = document.getElementById("notice");
  async function save() {
    const expect = {};
    for (const row of rows.querySelectorAll(".expect-row")) {
      const article = row.querySelector(".expect-article").value.trim();
      const ceiling = row.querySelector(".expect-ceiling").value.trim();
      if (article) expect[article] = ceiling === "" ? null : Number(ceiling);
    }
    const total = document.getElementById("expect-total").value.trim();
    const out = document.getElementById("expect-out").checked;
    await api("/v1/staff/conversations/" + encodeURIComponent(id) + "/expected", {method: "PUT",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({expect: out ? {} : expect, total: total === "" || out ? null : Number(total), out_of_scope: out,
                            note: document.getElementById("expect-note").value || null})});
    notice.textContent = "已保存标注";
  }
  document.getElementById("save-expected").addEventListener("click", () => save().catch((e) => { notice.textContent = e.message; }));
  document.getElementById("export-case").addEventListener("click", async () => {
    try {
      await save();
      const drop = document.getElementById("drop-user-ids").checked;
      const a = el("a", {href: `/v1/staff/export?session_id=${encodeURIComponent(id)}&drop_user_ids=${drop}`, download: "office_cases.json"});
      document.body.append(a); a.click(); a.remove();
      notice.textContent = "已导出测试用例";
    } catch (e) { notice.textContent = e.message; }
  });
}

// ---- statistics ------------------------------------------------------------------------------
function table(title, rows, csv) {
  if (!rows.length) return el("div", {class: "panel"}, el("h3", {}, title), "（无）");
  const columns = Object.keys(rows[0]);
  return el("div", {class: "panel"}, el("h3", {}, title, " ", el("a", {href: csv}, "CSV")),
    el("table", {}, el("thead", {}, el("tr", {}, columns.map((c) => el("th", {}, c)))),
      el("tbody", {}, rows.map((r) => el("tr", {}, columns.map((c) => el("td", {}, cell(c, r[c]))))))));
}

function cell(column, value) {
  if (column === "session_id") return el("a", {href: "/staff/conversation?id=" + encodeURIComponent(value)}, value.slice(0, 12));
  return Array.isArray(value) ? value.join("；") : (value ?? "—");
}

async function statsPage() {
  const form = document.getElementById("period");
  async function load() {
    const params = query(form).toString();
    const s = await api("/v1/staff/stats?" + params);
    const t = s.totals;
    document.getElementById("totals").replaceChildren(el("p", {id: "totals-line"},
      `会话 ${t.conversations} · 回答 ${t.turns} · 含超范围问题的会话 ${t.conversations_out_of_scope} · 含追问的会话 ${t.conversations_asked_to_confirm} · 👎 ${t.thumbs_down} · 👍 ${t.thumbs_up}`));
    document.getElementById("charts").replaceChildren(...["per_day_channel", "per_programme", "ceilings_per_programme", "missing_facts"].map(
      (name) => el("img", {class: "chart", alt: name, src: `/v1/staff/charts/${name}.png?${params}`})));
    const csv = (name) => `/v1/staff/stats/${name}.csv?${params}`;
    document.getElementById("tables").replaceChildren(
      table("每日会话（按渠道）", s.per_day_channel, csv("per_day_channel")),
      table("各项目：问题数、给出金额的测算数、测算金额合计（元）", s.per_programme, csv("per_programme")),
      table("最常缺少的信息", s.missing_facts, csv("missing_facts")),
      table("超出政策范围的问题（按相似度分组）", s.out_of_scope_groups, csv("out_of_scope_groups")),
      table("👎 的回答", s.thumbs_down, csv("thumbs_down")));
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  await load();
}

const page = document.body.dataset.page;
({review: reviewPage, conversation: conversationPage, stats: statsPage})[page]?.().catch((e) => console.error(e));
