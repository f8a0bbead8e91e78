// facerec console: the public REST API only, from the browser. The API key (keys mode) is kept
// in this tab's sessionStorage and sent as X-API-Key.
"use strict";

const API = "/api/v1";
const $ = (id) => document.getElementById(id);
let lastPhoto = null;
// Pages other than "faces" register here: { start(), stop() }, started while shown (cameras.js, events.js).
const PAGES = {};

function key() { return sessionStorage.getItem("facerec-api-key") || ""; }
function authHeaders() { return key() ? { "X-API-Key": key() } : {}; }

function say(text, error = false) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

async function api(method, path, body) {
  const headers = authHeaders();
  const init = { method, headers };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.body = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
  const reply = await fetch(API + path, init);
  if (reply.status === 204) return null;
  const data = await reply.json().catch(() => ({}));
  if (!reply.ok) {
    const error = data.error || { code: "HTTP_" + reply.status, message: reply.statusText };
    throw new Error(`${error.code}: ${error.message}`);
  }
  return data;
}

function collection() { return $("collection").value; }
// For innerHTML, in text and in quoted attributes alike.
function esc(text) {
  const d = document.createElement("div");
  d.textContent = text;
  return d.innerHTML.replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

async function loadCollections(select) {
  const data = await api("GET", "/collections?limit=200");
  const box = $("collection");
  box.innerHTML = data.collections.map((c) => `<option>${esc(c.name)}</option>`).join("");
  if (select) box.value = select;
  await loadPeople();
}

async function loadPeople() {
  const list = $("people-list");
  list.innerHTML = "";
  if (!collection()) return;
  const data = await api("GET", `/collections/${collection()}/people?limit=200`);
  for (const person of data.people) {
    const li = document.createElement("li");
    li.dataset.personId = person.person_id;
    li.innerHTML = `<b class="person-name">${esc(person.name)}</b> (${person.face_count} faces)
      <button class="delete-person">Delete</button><div class="thumbs"></div>`;
    li.querySelector(".delete-person").onclick = async () => {
      if (!confirm(`Delete ${person.name} and their faces?`)) return;
      await run(() => api("DELETE", `/collections/${collection()}/people/${person.person_id}`));
      await loadPeople();
    };
    list.appendChild(li);
    const faces = await api("GET", `/collections/${collection()}/faces?person_id=${person.person_id}&limit=8`);
    for (const face of faces.faces) {
      const img = document.createElement("img");
      img.alt = person.name;
      img.src = await thumbnail(face.face_id);
      li.querySelector(".thumbs").appendChild(img);
    }
  }
}

async function thumbnail(faceId) {
  return blobUrl(`${API}/collections/${collection()}/faces/${faceId}/image`);
}

// Images behind the API key: fetched with the header, shown from a blob: URL ("" when refused or
// absent). Whoever shows one revokes it when it is replaced (URL.revokeObjectURL).
async function blobUrl(url) {
  const reply = await fetch(url, { headers: authHeaders(), cache: "no-store" });
  return reply.ok ? URL.createObjectURL(await reply.blob()) : "";
}

async function imageBytes(url) {
  const reply = await fetch(url, { headers: authHeaders() });
  if (!reply.ok) throw new Error(`HTTP_${reply.status}: the image could not be fetched`);
  return reply.blob();
}

async function identify(file) {
  lastPhoto = file;
  const form = new FormData();
  form.append("file", file);
  form.append("top_k", "1");
  const result = await api("POST", `/collections/${collection()}/identify`, form);
  await draw(file, result.faces);
  const list = $("faces");
  list.innerHTML = "";
  result.faces.forEach((face, index) => {
    const best = face.candidates[0];
    const li = document.createElement("li");
    li.className = "face";
    li.innerHTML = face.match
      ? `<span class="known">${esc(best.name)}</span> ${best.similarity.toFixed(3)}`
      : `<span class="unknown">unknown</span>${best ? " (closest " + best.similarity.toFixed(3) + ")" : ""}
         <input class="enrol-name" placeholder="name"> <button class="enrol">Enrol this face</button>`;
    const button = li.querySelector(".enrol");
    if (button) button.onclick = () => run(() => enrol(index, li.querySelector(".enrol-name").value));
    list.appendChild(li);
  });
  say(`${result.faces.length} face(s), threshold ${result.threshold.toFixed(3)}`);
}

async function draw(file, faces) {
  const image = await createImageBitmap(file);
  const canvas = $("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const g = canvas.getContext("2d");
  g.drawImage(image, 0, 0);
  g.lineWidth = Math.max(2, image.width / 300);
  g.font = `${Math.max(14, image.width / 45)}px sans-serif`;
  faces.forEach((face) => {
    const b = face.box;
    const label = face.match ? `${face.candidates[0].name} ${face.candidates[0].similarity.toFixed(2)}` : "unknown";
    g.strokeStyle = face.match ? "#16a34a" : "#dc2626";
    g.strokeRect(b.x, b.y, b.width, b.height);
    g.fillStyle = g.strokeStyle;
    g.fillText(label, b.x, Math.max(12, b.y - 4));
  });
  canvas.dataset.boxes = String(faces.length);
  canvas.dataset.labels = JSON.stringify(faces.map((f) => (f.match ? f.candidates[0].name : "unknown")));
}

async function enrol(faceIndex, name) {
  await enrolFace(collection(), name, lastPhoto, { face_index: String(faceIndex) });
  await identify(lastPhoto);
  await loadPeople();
}

// Enrols the photo's face (chosen by `fields`) as `name` in `into`: an existing person of that
// name gets the face; otherwise a new person is made. Answers the person.
async function enrolFace(into, name, photo, fields) {
  name = name.trim();
  if (!name) throw new Error("type the person's name first");
  const people = (await api("GET", `/collections/${into}/people?limit=500`)).people;
  const existing = people.find((p) => p.name === name);
  const person = existing || (await api("POST", `/collections/${into}/people`, { name }));
  const form = new FormData();
  form.append("file", photo, photo.name || "face.jpg");
  for (const [field, value] of Object.entries(fields)) form.append(field, value);
  try {
    await api("POST", `/collections/${into}/people/${person.person_id}/faces`, form);
  } catch (error) {
    // Refused (e.g. FACE_TOO_SMALL): do not leave a new person without a face behind.
    if (!existing) await api("DELETE", `/collections/${into}/people/${person.person_id}`).catch(() => null);
    throw error;
  }
  return person;
}

async function run(action) {
  try { await action(); } catch (error) { say(error.message, true); }
}

// Calls `refresh` now, then `ms` after each call ends (none while the tab is hidden), until the
// function it answers is called.
function poll(refresh, ms) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (!document.hidden) await run(refresh);
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

$("api-key").value = key();
$("api-key").onchange = () => { sessionStorage.setItem("facerec-api-key", $("api-key").value); run(() => loadCollections()); };
$("collection").onchange = () => run(loadPeople);
$("refresh-people").onclick = () => run(loadPeople);
$("create-collection").onclick = () => run(async () => {
  const name = $("new-collection").value.trim();
  await api("POST", "/collections", { name });
  await loadCollections(name);
});
$("photo").onchange = () => { if ($("photo").files[0]) run(() => identify($("photo").files[0])); };
const drop = $("drop");
drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files[0]) run(() => identify(e.dataTransfer.files[0]));
};
// Pages: #faces (the default), #cameras, #events; only the page shown polls the API.
let shownPage = null;
function showPage() {
  const wanted = location.hash.slice(1);
  const name = Object.hasOwn(PAGES, wanted) ? wanted : "faces";
  if (name === shownPage) return;
  if (PAGES[shownPage]) PAGES[shownPage].stop();
  shownPage = name;
  document.querySelectorAll(".page").forEach((page) => { page.hidden = page.id !== `page-${name}`; });
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === name));
  if (PAGES[name]) PAGES[name].start();
}
window.addEventListener("hashchange", showPage);
window.addEventListener("DOMContentLoaded", showPage);
run(() => loadCollections());
