// facerec console: the public REST API only, from the browser. The API key (keys mode) is kept
// in this tab's sessionStorage and sent as X-API-Key.
"use strict";

const API = "/api/v1";
const $ = (id) => document.getElementById(id);
let lastPhoto = null;

function key() { return sessionStorage.getItem("facerec-api-key") || ""; }

function say(text, error = false) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

async function api(method, path, body) {
  const headers = key() ? { "X-API-Key": key() } : {};
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
function esc(text) { const d = document.createElement("div"); d.textContent = text; return d.innerHTML; }

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
  const reply = await fetch(`${API}/collections/${collection()}/faces/${faceId}/image`,
    { headers: key() ? { "X-API-Key": key() } : {} });
  return reply.ok ? URL.createObjectURL(await reply.blob()) : "";
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
  name = name.trim();
  if (!name) throw new Error("type the person's name first");
  // An existing person of that name gets the face; otherwise a new person is made.
  const people = (await api("GET", `/collections/${collection()}/people?limit=500`)).people;
  const existing = people.find((p) => p.name === name);
  const person = existing || (await api("POST", `/collections/${collection()}/people`, { name }));
  const form = new FormData();
  form.append("file", lastPhoto);
  form.append("face_index", String(faceIndex));
  try {
    await api("POST", `/collections/${collection()}/people/${person.person_id}/faces`, form);
  } catch (error) {
    // Refused (e.g. FACE_TOO_SMALL): do not leave a new person without a face behind.
    if (!existing) await api("DELETE", `/collections/${collection()}/people/${person.person_id}`).catch(() => null);
    throw error;
  }
  await identify(lastPhoto);
  await loadPeople();
}

async function run(action) {
  try { await action(); } catch (error) { say(error.message, true); }
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
run(() => loadCollections());
