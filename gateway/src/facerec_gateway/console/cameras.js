// Cameras page: GET /cameras (an admin key) every 3 s; each camera's last analysed frame is
// fetched with the key and shown from a blob: URL, the one it replaces revoked.
"use strict";

const CAMERA_REFRESH_MS = 3000;
const cameraCards = new Map(); // camera name -> its <li>
const cameraFrames = new Map(); // camera name -> the blob: URL its frame shows
let stopCameras = null;

PAGES.cameras = {
  start() {
    if (!$("camera-collection").value) $("camera-collection").value = collection();
    stopCameras = poll(refreshCameras, CAMERA_REFRESH_MS);
  },
  stop() { stopCameras(); },
};

async function refreshCameras() {
  const cameras = await api("GET", "/cameras");
  const list = $("camera-list");
  for (const camera of cameras) {
    let li = cameraCards.get(camera.name);
    if (!li) {
      li = cameraCard(camera.name);
      cameraCards.set(camera.name, li);
    }
    list.appendChild(li); // in the API's order (by name)
    showCamera(li, camera);
  }
  const names = new Set(cameras.map((c) => c.name));
  for (const name of [...cameraCards.keys()].filter((n) => !names.has(n))) dropCamera(name);
  $("no-cameras").hidden = cameras.length > 0;
  await Promise.all(cameras.map((camera) => refreshFrame(cameraCards.get(camera.name), camera)));
}

function cameraCard(name) {
  const li = document.createElement("li");
  li.className = "camera";
  li.dataset.name = name;
  li.innerHTML = `<div class="frame-box"><img class="frame" alt="last analysed frame of ${esc(name)}" hidden>
      <div class="no-frame">no frame yet</div></div>
    <div class="camera-info">
      <b class="camera-name">${esc(name)}</b> <span class="state"></span>
      <div class="reason"></div>
      <div><span class="analysed-fps"></span> fps analysed (of <span class="fps"></span>),
        lag <span class="lag"></span> s</div>
      <div class="source"></div>
      <div>collection <span class="camera-collection"></span>, replica <span class="replica"></span></div>
      <button class="remove-camera">Remove</button>
    </div>`;
  li.querySelector(".remove-camera").onclick = () => run(() => removeCamera(name));
  return li;
}

// Every value from the API goes in as text (textContent), never as markup.
function showCamera(li, camera) {
  const state = camera.state;
  const text = (selector, value) => { li.querySelector(selector).textContent = value; };
  text(".state", state.state);
  li.querySelector(".state").className = `state state-${state.state}`;
  text(".reason", state.reason || "");
  li.querySelector(".reason").hidden = !state.reason;
  text(".analysed-fps", String(state.analysed_fps));
  text(".fps", String(camera.fps));
  text(".lag", String(state.lag_seconds));
  text(".source", camera.source);
  text(".camera-collection", camera.collection);
  text(".replica", camera.replica || "none");
}

// 404 (no frame analysed yet) or any refusal: the placeholder.
async function refreshFrame(li, camera) {
  const url = await blobUrl(camera.frame_url).catch(() => "");
  if (cameraCards.get(camera.name) !== li) { if (url) URL.revokeObjectURL(url); return; }
  const img = li.querySelector(".frame");
  const old = cameraFrames.get(camera.name);
  if (url) {
    img.src = url;
    cameraFrames.set(camera.name, url);
  } else {
    img.removeAttribute("src");
    cameraFrames.delete(camera.name);
  }
  if (old) URL.revokeObjectURL(old);
  img.hidden = !url;
  li.querySelector(".no-frame").hidden = Boolean(url);
}

function dropCamera(name) {
  const url = cameraFrames.get(name);
  if (url) URL.revokeObjectURL(url);
  cameraFrames.delete(name);
  cameraCards.get(name)?.remove();
  cameraCards.delete(name);
}

async function addCamera() {
  const name = $("camera-name").value.trim();
  await api("POST", "/cameras", {
    name,
    source_url: $("camera-source").value.trim(),
    collection: $("camera-collection").value.trim(),
    fps: Number($("camera-fps").value),
  });
  $("camera-name").value = "";
  $("camera-source").value = "";
  say(`camera ${name} added`);
  await refreshCameras();
}

async function removeCamera(name) {
  if (!confirm(`Stop watching camera ${name}? Its events stay.`)) return;
  await api("DELETE", `/cameras/${encodeURIComponent(name)}`);
  say(`camera ${name} removed`);
  await refreshCameras();
}

$("add-camera").onsubmit = (event) => { event.preventDefault(); run(addCamera); };
