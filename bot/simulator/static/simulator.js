/* The simulator page: personas, phone panes, sending through /wechat, and pushes as they arrive. */
"use strict";

const Sim = (() => {
  const API = "api/";
  const NAMES = ["张大爷", "李阿姨", "王大哥", "刘婶", "陈伯", "杨姐", "赵叔", "黄奶奶", "周大姐", "吴伯伯"];
  const state = { data: null, panes: new Map(), pushes: [], lastSeq: 0, listeners: [], newCount: 0 };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function api(path, body) {
    const options = body ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {};
    const answer = await fetch(API + path, options);
    const data = await answer.json().catch(() => ({ error: "HTTP " + answer.status }));
    if (!answer.ok) throw new Error(data.error || "HTTP " + answer.status);
    return data;
  }

  /* -- personas ------------------------------------------------------------------------------ */

  function newResident(village) {
    const random = Array.from(crypto.getRandomValues(new Uint8Array(5)), (b) => b.toString(16).padStart(2, "0")).join("");
    const name = NAMES[state.newCount++ % NAMES.length];
    return { openid: "o_villager_" + random, name, role: "resident", label: `群众 · ${village.name}（新）`,
             village: village.name, home: village, following: false };
  }

  function cadrePersona(cadre) {
    const where = cadre.villages.length ? " · " + cadre.villages.join("、") : "";
    return { openid: cadre.openid, name: cadre.name, role: cadre.role, label: `${cadre.role_label}${where}`,
             following: true, villages: cadre.villages };
  }

  function fillChooser() {
    const select = document.getElementById("persona");
    select.replaceChildren();
    const group = (label, items) => {
      const node = el("optgroup");
      node.label = label;
      items.forEach(([value, text]) => { const option = el("option", "", text); option.value = value; node.append(option); });
      select.append(node);
    };
    group("新村民（选择所在村）", state.data.villages.map((v) => ["new:" + v.id, `新村民 · ${v.township} ${v.name}`]));
    if (state.data.residents.length) {
      group("已绑定的村民", state.data.residents.map((r) => ["resident:" + r.openid, `村民 ${r.openid.slice(-6)} · ${r.village}`]));
    }
    group("干部", state.data.cadres.map((c) => ["cadre:" + c.openid, `${c.name}（${c.role_label}）`]));
  }

  function personaFromChoice(value) {
    const [kind, id] = [value.slice(0, value.indexOf(":")), value.slice(value.indexOf(":") + 1)];
    if (kind === "new") return newResident(state.data.villages.find((v) => String(v.id) === id));
    if (kind === "cadre") return cadrePersona(state.data.cadres.find((c) => c.openid === id));
    const resident = state.data.residents.find((r) => r.openid === id);
    return { openid: id, name: "村民" + id.slice(-4), role: "resident", label: `群众 · ${resident.village}`,
             village: resident.village, following: true };
  }

  async function loadPersonas() {
    state.data = await api("personas");
    fillChooser();
  }

  /* -- pushes -------------------------------------------------------------------------------- */

  async function poll() {
    try {
      const data = await api("pushes?since=" + state.lastSeq);
      state.lastSeq = data.last;
      for (const push of data.pushes) {
        state.pushes.push(push);
        const pane = state.panes.get(push.to);
        if (pane) pane.showPush(push);
        state.listeners.forEach((listener) => listener(push));
      }
    } catch (error) {
      console.warn("poll failed", error);
    }
    setTimeout(poll, 700);
  }

  function pushText(push) {
    if (push.type === "template") return [push.title, ...push.fields.map((f) => f.label + " " + f.value)].join("\n");
    return push.text || "";
  }

  /* Resolve with the first push (past or future) that ``test`` accepts, or reject after ``ms``. */
  function waitForPush(test, ms = 20000) {
    const found = state.pushes.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const listener = (push) => { if (test(push)) { done(); resolve(push); } };
      const timer = setTimeout(() => { done(); reject(new Error("等待推送超时")); }, ms);
      const done = () => { clearTimeout(timer); state.listeners = state.listeners.filter((l) => l !== listener); };
      state.listeners.push(listener);
    });
  }

  /* -- panes --------------------------------------------------------------------------------- */

  function openPane(persona) {
    if (state.panes.has(persona.openid)) return state.panes.get(persona.openid);
    const pane = new Pane(persona);
    state.panes.set(persona.openid, pane);
    document.getElementById("panes").append(pane.root);
    state.pushes.filter((p) => p.to === persona.openid).forEach((p) => pane.showPush(p));
    return pane;
  }

  function closePane(openid) {
    const pane = state.panes.get(openid);
    if (pane) { pane.root.remove(); state.panes.delete(openid); }
  }

  function start() {
    document.getElementById("open-pane").addEventListener("click", () => {
      const value = document.getElementById("persona").value;
      if (value) openPane(personaFromChoice(value));
    });
    loadPersonas().catch((error) => { document.getElementById("tour-caption").textContent = "加载身份失败：" + error.message; });
    poll();
  }

  return { state, el, api, openPane, closePane, newResident, cadrePersona, loadPersonas, waitForPush, pushText, start };
})();

/* One phone: a persona's chat with the official account. */
class Pane {
  constructor(persona) {
    this.persona = persona;
    this.root = document.getElementById("pane-template").content.firstElementChild.cloneNode(true);
    this.root.dataset.openid = persona.openid;
    this.root.dataset.role = persona.role;
    this.root.dataset.name = persona.name;
    this.chat = this.root.querySelector(".chat");
    this.sheet = this.root.querySelector(".sheet");
    this.form = this.root.querySelector(".inputbar");
    this.input = this.root.querySelector(".text");
    this.root.querySelector(".who").textContent = `${persona.name} · ${persona.label}`;
    this.root.querySelector(".close").addEventListener("click", () => Sim.closePane(persona.openid));
    this.root.querySelector(".mode").addEventListener("click", () => this.toggleVoice());
    this.root.querySelector(".plus").addEventListener("click", () => this.toggleTools());
    this.root.querySelector(".file").addEventListener("change", (event) => this.pickPhoto(event.target));
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(); });
    this.setPlaceholder();
    if (!persona.following) this.notice("扫描村委会张贴的二维码，关注并绑定本村");
  }

  setPlaceholder() {
    this.input.placeholder = this.form.classList.contains("voice") ? "语音：输入要说的话（语音识别结果）" : "发消息";
  }

  toggleVoice() {
    this.form.classList.toggle("voice");
    this.root.querySelector(".mode").textContent = this.form.classList.contains("voice") ? "键" : "声";
    this.setPlaceholder();
  }

  /* -- what the chat shows ------------------------------------------------------------------- */

  scroll() { this.chat.scrollTop = this.chat.scrollHeight; }

  row(direction, kind, bubble, avatarText) {
    const row = Sim.el("div", "row " + direction);
    row.dataset.kind = kind;
    row.append(Sim.el("div", "avatar", avatarText), bubble);
    this.chat.append(row);
    this.scroll();
    return row;
  }

  notice(text, error = false) {
    const row = Sim.el("div", "notice" + (error ? " error" : ""));
    row.dataset.kind = error ? "error" : "notice";
    row.append(Sim.el("span", "", text));
    this.chat.append(row);
    this.scroll();
  }

  showSent(message) {
    const bubble = Sim.el("div", "bubble");
    if (message.kind === "text") bubble.textContent = message.text;
    if (message.kind === "image") {
      bubble.classList.add("image");
      const img = Sim.el("img");
      img.src = message.image;
      img.alt = "照片";
      bubble.append(img);
    }
    if (message.kind === "voice") {
      bubble.append(Sim.el("span", "voice", `${Math.max(2, Math.round(message.text.length / 3))}″ ))`),
                    Sim.el("span", "recognised", message.text));
    }
    if (message.kind === "location") {
      bubble.append(Sim.el("span", "place", message.label), Sim.el("span", "map", "地图"));
    }
    return this.row("out", "sent", bubble, this.persona.name.slice(0, 1));
  }

  showReply(text) {
    return this.row("in", "reply", Sim.el("div", "bubble", text), "驻");
  }

  showPush(push) {
    if (push.type === "template") return this.showTemplate(push);
    const bubble = Sim.el("div", "bubble");
    bubble.append(Sim.el("span", "channel", push.channel));
    if (push.type === "image") {
      const img = Sim.el("img");
      img.src = "api/media/" + encodeURIComponent(push.media_id);
      img.alt = "图片";
      bubble.append(img);
    } else {
      bubble.append(document.createTextNode(push.text));
    }
    return this.row("in", "push", bubble, push.channel === "企业微信" ? "企" : "驻");
  }

  showTemplate(push) {
    const card = Sim.el("div", "card");
    card.append(Sim.el("div", "card-title", push.title));
    push.fields.forEach((f) => {
      const field = Sim.el("div", "field");
      field.append(Sim.el("span", "label", f.label), Sim.el("span", "value", f.value));
      card.append(field);
    });
    const more = Sim.el("div", "more");
    more.append(Sim.el("span", "", "详情"), Sim.el("span", "", "›"));
    card.append(more);
    const row = Sim.el("div", "row template");
    row.dataset.kind = "push";
    row.append(card);
    this.chat.append(Sim.el("div", "time", "服务通知"), row);
    this.scroll();
    return row;
  }

  /* -- sending ------------------------------------------------------------------------------- */

  /* Send one message (``{kind, ...}``) through /wechat; show it, then the reply. Returns the reply. */
  async send(message) {
    if (message.kind !== "scan" && message.kind !== "subscribe") this.showSent(message);
    try {
      const answer = await Sim.api("send", { openid: this.persona.openid, following: this.persona.following, ...message });
      if (message.kind === "scan" || message.kind === "subscribe") {
        if (!this.persona.following) this.notice("你已关注 驻点联系服务号");
        this.persona.following = true;
      }
      if (answer.reply) this.showReply(answer.reply);
      return answer.reply || "";
    } catch (error) {
      this.notice("发送失败：" + error.message, true);
      throw error;
    }
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return Promise.resolve("");
    this.input.value = "";
    return this.send({ kind: this.form.classList.contains("voice") ? "voice" : "text", text }).catch(() => "");
  }

  /* Type ``text`` into the box (visibly) and press 发送, as a person would. */
  async say(text, voice = false) {
    if (voice !== this.form.classList.contains("voice")) this.toggleVoice();
    this.input.value = text;
    await new Promise((resolve) => setTimeout(resolve, 350));
    this.input.value = "";
    const reply = await this.send({ kind: voice ? "voice" : "text", text });
    if (voice) this.toggleVoice();
    return reply;
  }

  scan(village) {
    this.closeSheet();
    this.notice(`扫一扫：${village.name}村委会二维码`);
    return this.send({ kind: "scan", scene: village.scene });
  }

  sendPhoto(dataUrl) { return this.send({ kind: "image", image: dataUrl }); }

  sendLocation(label, latitude, longitude) { return this.send({ kind: "location", label, latitude, longitude }); }

  /* -- the ＋ sheet -------------------------------------------------------------------------- */

  closeSheet() { this.sheet.className = "sheet hidden"; this.sheet.replaceChildren(); }

  toggleTools() {
    if (!this.sheet.classList.contains("hidden")) return this.closeSheet();
    this.sheet.className = "sheet";
    const tool = (icon, label, action) => {
      const button = Sim.el("button", "tool");
      button.type = "button";
      button.append(Sim.el("span", "", icon), document.createTextNode(label));
      button.addEventListener("click", action);
      this.sheet.append(button);
    };
    tool("图", "相册", () => this.root.querySelector(".file").click());
    tool("拍", "拍摄", () => { this.closeSheet(); this.sendPhoto(samplePhoto()).catch(() => ""); });
    tool("位", "位置", () => this.locationSheet());
    tool("扫", "扫一扫", () => this.scanSheet());
  }

  scanSheet() {
    this.sheet.className = "sheet list";
    this.sheet.replaceChildren(Sim.el("label", "", "扫描哪个村（社区）的二维码？"));
    Sim.state.data.villages.forEach((village) => {
      const button = Sim.el("button", "qr");
      button.type = "button";
      button.append(Sim.el("span", "code"), Sim.el("span", "", `${village.township} ${village.name}`));
      button.addEventListener("click", () => this.scan(village).catch(() => ""));
      this.sheet.append(button);
    });
  }

  locationSheet() {
    this.sheet.className = "sheet list";
    this.sheet.replaceChildren();
    const field = (label, value) => {
      const wrap = Sim.el("label", "", label);
      const input = Sim.el("input");
      input.value = value;
      wrap.append(input);
      this.sheet.append(wrap);
      return input;
    };
    const place = field("位置名称", `${this.persona.village || ""}村口`);
    const lat = field("纬度", (23.5 + Math.random() / 10).toFixed(5));
    const lng = field("经度", (115.9 + Math.random() / 10).toFixed(5));
    const go = Sim.el("button", "go", "发送位置");
    go.type = "button";
    go.addEventListener("click", () => { this.closeSheet(); this.sendLocation(place.value, lat.value, lng.value).catch(() => ""); });
    this.sheet.append(go);
  }

  pickPhoto(input) {
    const file = input.files[0];
    input.value = "";
    this.closeSheet();
    if (file) shrinkPhoto(file).then((dataUrl) => this.sendPhoto(dataUrl)).catch(() => "");
  }
}

/* A photo as a JPEG data URL no wider than 1024 px (what WeChat's compression does too). */
function shrinkPhoto(file) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const scale = Math.min(1, 1024 / Math.max(img.width, img.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(img.src);
      resolve(canvas.toDataURL("image/jpeg", 0.85));
    };
    img.onerror = reject;
    img.src = URL.createObjectURL(file);
  });
}

/* A drawn "photo" of a damaged village road, so the demo needs no picture files. */
function samplePhoto() {
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 240;
  const g = canvas.getContext("2d");
  g.fillStyle = "#9fc5e8"; g.fillRect(0, 0, 320, 110);
  g.fillStyle = "#6aa84f"; g.fillRect(0, 110, 320, 130);
  g.fillStyle = "#999"; g.beginPath(); g.moveTo(130, 110); g.lineTo(190, 110); g.lineTo(300, 240); g.lineTo(20, 240); g.fill();
  g.fillStyle = "#5b4636";
  [[150, 150, 18, 7], [175, 185, 30, 10], [120, 210, 34, 11]].forEach(([x, y, rx, ry]) => {
    g.beginPath(); g.ellipse(x, y, rx, ry, 0, 0, Math.PI * 2); g.fill();
  });
  return canvas.toDataURL("image/jpeg", 0.85);
}

document.addEventListener("DOMContentLoaded", Sim.start);
