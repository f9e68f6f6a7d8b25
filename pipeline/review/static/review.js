// csminer review: keyboard, decisions and editors. No build step; no inline script (CSP).
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const reviewerInput = document.getElementById("reviewer");
reviewerInput.value = localStorage.getItem("csminer-reviewer") ||
  document.querySelector('meta[name="default-reviewer"]').content;
reviewerInput.addEventListener("change", () => localStorage.setItem("csminer-reviewer", reviewerInput.value));

function say(text, kind) {
  const box = document.getElementById("message");
  box.textContent = text;  // textContent: messages may quote PDF text
  box.className = kind || "info";
  box.hidden = false;
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: {"content-type": "application/json", "x-csrf-token": csrf},
    body: JSON.stringify({...body, reviewer: reviewerInput.value}),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = {error: response.statusText}; }
  if (!response.ok) {
    say(data.error || "the decision was not saved", data.conflict ? "conflict" : "error");
    throw new Error(data.error);
  }
  return data;
}

function typing(event) {
  const t = event.target;
  return t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
}

// --- queue ---------------------------------------------------------------------------------
const queueTable = document.getElementById("queue");
if (queueTable) {
  const rows = [...queueTable.querySelectorAll("tbody tr[data-href]")];
  let at = 0;
  const mark = () => rows.forEach((r, i) => r.classList.toggle("current", i === at));
  mark();
  rows.forEach((r, i) => r.addEventListener("click", () => { at = i; mark(); }));
  document.addEventListener("keydown", (e) => {
    if (typing(e) || !rows.length) return;
    if (e.key === "j" || e.key === "ArrowDown") { at = Math.min(at + 1, rows.length - 1); mark(); }
    else if (e.key === "k" || e.key === "ArrowUp") { at = Math.max(at - 1, 0); mark(); }
    else if (e.key === "Enter" || e.key === "o") { location.href = rows[at].dataset.href; }
  });
}

// --- add a missed record: drag a rectangle over its text on a page (record and page views) ---
function enableAdding(info) {
  const button = document.getElementById("add-mode");
  if (!button) return;
  let adding = false;
  button.addEventListener("click", () => {
    adding = !adding;
    document.body.classList.toggle("adding", adding);
    say(adding ? "drag a rectangle over the missed record's text on the page" : "add cancelled", "info");
  });
  document.querySelectorAll(".sheet").forEach((sheet) => {
    const page = Number(sheet.closest("figure").dataset.page);
    const sel = sheet.querySelector(".selection");
    let start = null;
    const point = (e) => { const r = sheet.getBoundingClientRect(); return [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height]; };
    sheet.addEventListener("mousedown", (e) => { if (!adding) return; e.preventDefault(); start = point(e); sel.hidden = false; });
    sheet.addEventListener("mousemove", (e) => {
      if (!start) return;
      const p = point(e);
      sel.style.left = `${Math.min(start[0], p[0]) * 100}%`; sel.style.top = `${Math.min(start[1], p[1]) * 100}%`;
      sel.style.width = `${Math.abs(p[0] - start[0]) * 100}%`; sel.style.height = `${Math.abs(p[1] - start[1]) * 100}%`;
    });
    sheet.addEventListener("mouseup", async (e) => {
      if (!start) return;
      const p = point(e);
      const [w, h] = info.sizes[String(page)];
      const box = [Math.min(start[0], p[0]) * w, Math.min(start[1], p[1]) * h, Math.max(start[0], p[0]) * w, Math.max(start[1], p[1]) * h];
      start = null;
      const found = await post("/api/text", {doc: info.doc, page, box});
      if (!found.text) { say("no text in that rectangle", "error"); sel.hidden = true; return; }
      // The analyst may trim the text to the sentences that state the intervention.
      const text = prompt("Add a record for this text (trim it to the sentences that state the intervention):", found.text);
      if (text === null || !text.trim()) { sel.hidden = true; return; }
      const result = await post("/api/decide", {action: "add", doc: info.doc, page, box, text});
      location.href = `/record/${encodeURIComponent(result.record)}`;
    });
  });
}

// --- page view ----------------------------------------------------------------------------
const pageNode = document.getElementById("page-data");
if (pageNode) {
  enableAdding(JSON.parse(pageNode.textContent));
  document.addEventListener("keydown", (e) => {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const link = document.getElementById(e.key === "n" ? "next" : e.key === "p" ? "prev" : "");
    if (link) location.href = link.href;
  });
}

// --- record --------------------------------------------------------------------------------
const dataNode = document.getElementById("record-data");
if (dataNode) {
  const data = JSON.parse(dataNode.textContent);
  const fieldRows = [...document.querySelectorAll("tr.field")];
  let current = 0;
  const fieldOf = (name) => data.fields.find((f) => f.name === name);

  function light(spans, on) {
    spans.forEach((n) => document.querySelectorAll(`[data-span="${n}"]`).forEach((el) => el.classList.toggle("lit", on)));
  }
  function spansOf(row) {
    return row.dataset.spans ? row.dataset.spans.split(",").map(Number) : [];
  }
  function focusField(i) {
    fieldRows.forEach((r) => { r.classList.remove("current"); light(spansOf(r), false); });
    current = Math.max(0, Math.min(i, fieldRows.length - 1));
    fieldRows[current].classList.add("current");
    light(spansOf(fieldRows[current]), true);
  }
  fieldRows.forEach((row, i) => {
    row.addEventListener("mouseenter", () => light(spansOf(row), true));
    row.addEventListener("mouseleave", () => { if (i !== current) light(spansOf(row), false); });
    row.addEventListener("click", () => focusField(i));
    row.querySelector(".accept").addEventListener("click", (e) => { e.stopPropagation(); accept(i); });
    row.querySelector(".edit").addEventListener("click", (e) => { e.stopPropagation(); edit(i); });
  });
  document.querySelectorAll(".evidence li").forEach((li) => {
    li.addEventListener("mouseenter", () => light([Number(li.dataset.span)], true));
    li.addEventListener("mouseleave", () => light([Number(li.dataset.span)], false));
  });
  focusField(0);

  async function decide(field, decision, value) {
    const result = await post("/api/decide", {action: "decide", record: data.record, field, decision, value, version: data.version});
    data.version = result.version;
    return result;
  }

  async function accept(i) {
    const row = fieldRows[i];
    await decide(row.dataset.field, "accept");
    row.classList.add("reviewed");
    row.querySelector(".state").textContent = `accepted by ${reviewerInput.value}`;
    document.querySelector(".meta").textContent = `version ${data.version} · saved`;
    const status = document.getElementById("status");
    if (status.textContent === "unreviewed") status.textContent = "reviewed";
    say(`${row.dataset.field} accepted (saved)`, "ok");
    focusField(i + 1);
  }

  // Typed editors: enums as choices, actors from the registry (or new), amounts, years.
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    });
    (children || []).forEach((c) => node.appendChild(c));
    return node;
  }
  function select(options, value, blank) {
    const s = el("select");
    if (blank) s.appendChild(el("option", {value: "", text: "—"}));
    options.forEach((o) => { const opt = el("option", {value: o, text: o}); if (o === value) opt.selected = true; s.appendChild(opt); });
    return s;
  }
  const registry = new Set([...document.querySelectorAll("#actors option")].map((o) => o.value));

  function actorInput(name) {
    const input = el("input", {list: "actors", size: "28", class: "actor"});
    input.value = name || "";
    const note = el("small", {class: "new-actor"});
    const update = () => { note.textContent = input.value && !registry.has(input.value) ? "new actor (not in the registry)" : ""; };
    input.addEventListener("input", update);
    update();
    return el("div", {class: "item"}, [input, note]);
  }
  function amountRow(a) {
    a = a || {value: "", currency: "USD", qualifier: "exact", text: "", year: ""};
    const value = el("input", {type: "number", step: "any", min: "0", class: "amount-value", size: "14"});
    value.value = a.value ?? "";
    const currency = el("input", {class: "amount-currency", size: "4", maxlength: "3"});
    currency.value = a.currency || "";
    const qualifier = select(data.enums.qualifier, a.qualifier || "exact");
    qualifier.className = "amount-qualifier";
    const year = el("input", {type: "number", class: "amount-year", min: "1900", max: "2100"});
    year.value = a.year ?? "";
    const text = el("input", {class: "amount-text", size: "18"});
    text.value = a.text || "";
    const remove = el("button", {type: "button", text: "remove"});
    const row = el("div", {class: "item amount"}, [
      el("label", {text: "value "}, [value]), el("label", {text: " currency "}, [currency]),
      el("label", {text: " qualifier "}, [qualifier]), el("label", {text: " year "}, [year]),
      el("label", {text: " as written "}, [text]), remove]);
    remove.addEventListener("click", () => row.remove());
    return row;
  }

  function editorFor(field) {
    const f = fieldOf(field);
    const box = el("div", {class: "edit-box"});
    let read;
    if (field === "name") {
      const input = el("input", {size: "50"}); input.value = f.value || ""; box.appendChild(input);
      read = () => input.value || null;
    } else if (["funders", "implementers", "recipients"].includes(field)) {
      const list = el("div");
      (f.value || []).forEach((n) => list.appendChild(actorInput(n)));
      const more = el("button", {type: "button", text: "add an actor"});
      more.addEventListener("click", () => list.appendChild(actorInput("")));
      box.append(list, more);
      read = () => [...list.querySelectorAll("input.actor")].map((i) => i.value.trim()).filter(Boolean);
    } else if (field === "amounts") {
      const list = el("div");
      (f.value || []).forEach((a) => list.appendChild(amountRow(a)));
      const more = el("button", {type: "button", text: "add an amount"});
      more.addEventListener("click", () => list.appendChild(amountRow()));
      box.append(list, more);
      read = () => [...list.querySelectorAll(".amount")].map((r) => ({
        value: r.querySelector(".amount-value").value,
        currency: r.querySelector(".amount-currency").value,
        qualifier: r.querySelector(".amount-qualifier").value,
        year: r.querySelector(".amount-year").value || null,
        text: r.querySelector(".amount-text").value,
      }));
    } else if (field === "years") {
      const v = f.value || {};
      const start = el("input", {type: "number", min: "1900", max: "2100", class: "year-start"}); start.value = v.start ?? "";
      const end = el("input", {type: "number", min: "1900", max: "2100", class: "year-end"}); end.value = v.end ?? "";
      box.append(el("label", {text: "start "}, [start]), el("label", {text: " end "}, [end]));
      read = () => ({start: start.value || null, end: end.value || null, mentioned: v.mentioned || []});
    } else if (field === "themes") {
      const chosen = new Set(f.value || []);
      const boxes = data.enums.themes.map((t) => {
        const c = el("input", {type: "checkbox", value: t}); c.checked = chosen.has(t);
        return el("label", {class: "theme"}, [c, document.createTextNode(" " + t)]);
      });
      box.append(...boxes);
      read = () => boxes.map((b) => b.querySelector("input")).filter((c) => c.checked).map((c) => c.value);
    } else {
      const s = select(data.enums[field], f.value, true); box.appendChild(s);
      read = () => s.value || null;
    }
    const save = el("button", {type: "button", class: "save", text: "save correction"});
    const cancel = el("button", {type: "button", text: "cancel"});
    box.append(el("div", {class: "edit-actions"}, [save, cancel]));
    return {box, read, save, cancel};
  }

  function edit(i) {
    focusField(i);
    const row = fieldRows[i];
    const editorRow = document.querySelector(`tr.editor[data-field="${row.dataset.field}"]`);
    const cell = editorRow.querySelector("td");
    cell.replaceChildren();
    const editor = editorFor(row.dataset.field);
    cell.appendChild(editor.box);
    editorRow.hidden = false;
    const first = editor.box.querySelector("input, select");
    if (first) first.focus();
    editor.cancel.addEventListener("click", () => { editorRow.hidden = true; });
    editor.save.addEventListener("click", async () => {
      await decide(row.dataset.field, "correct", editor.read());
      say(`${row.dataset.field} corrected (saved)`, "ok");
      location.reload();
    });
    editor.box.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && e.target.tagName === "INPUT") { e.preventDefault(); editor.save.click(); }
      if (e.key === "Escape") { editorRow.hidden = true; }
    });
  }

  async function reject() {
    await decide("_record", "reject");
    say("record rejected (saved)", "ok");
    location.href = data.next ? `/record/${encodeURIComponent(data.next)}${data.query ? "?" + data.query : ""}` : location.href;
    if (!data.next) location.reload();
  }
  const rejectButton = document.getElementById("reject");
  if (rejectButton) rejectButton.addEventListener("click", reject);
  const unreject = document.getElementById("unreject");
  if (unreject) unreject.addEventListener("click", async () => { await decide("_record", "accept"); location.reload(); });

  document.getElementById("merge").addEventListener("click", async () => {
    const other = document.getElementById("merge-with").value;
    if (!other) { say("choose the record to merge into this one", "error"); return; }
    const v = await (await fetch(`/api/version/${encodeURIComponent(other)}`)).json();
    await post("/api/decide", {action: "merge", record: data.record, other, version: data.version, other_version: v.version});
    location.reload();
  });
  document.querySelectorAll("button.split").forEach((b) => b.addEventListener("click", async () => {
    const result = await post("/api/decide", {action: "split", record: data.record, at: Number(b.dataset.at), version: data.version});
    location.href = `/record/${encodeURIComponent(result.record)}`;
  }));

  enableAdding(data);

  document.addEventListener("keydown", (e) => {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const go = (id) => { const link = document.getElementById(id); if (link) location.href = link.href; };
    if (e.key === "a") { e.preventDefault(); accept(current); }
    else if (e.key === "e") { e.preventDefault(); edit(current); }
    else if (e.key === "x") { e.preventDefault(); if (rejectButton) reject(); }
    else if (e.key === "n") go("next");
    else if (e.key === "p") go("prev");
    else if (e.key === "j" || e.key === "ArrowDown") { e.preventDefault(); focusField(current + 1); }
    else if (e.key === "k" || e.key === "ArrowUp") { e.preventDefault(); focusField(current - 1); }
  });
}
