/* The guided tour: a scripted story played through the panes, step by step. */
"use strict";

const Tour = (() => {
  const CASE_NUMBER = /[A-Z][A-Z0-9]*-\d{4}-\d{5}/;
  const COMPLAINT = "村口到小学那段水泥路坏了，路面好几个大坑，下雨天孩子上学没法走。";
  const SECOND = "村口到小学的水泥路坏了，路面好几个大坑，孩子上学没法走，希望尽快修。";
  const ANSWER = "已安排施工队填补坑洼并重新硬化路面，本周五前完工，施工期间请绕行。";

  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function caption(text) {
    document.getElementById("tour-caption").textContent = text;
    document.body.dataset.step = text;
  }

  function numberIn(text) {
    const found = CASE_NUMBER.exec(text || "");
    if (!found) throw new Error("回复里没有案件编号：" + text);
    return found[0];
  }

  function isCadre(openid) { return Sim.state.data.cadres.some((c) => c.openid === openid); }

  async function play() {
    const button = document.getElementById("tour");
    button.disabled = true;
    document.body.dataset.tour = "running";
    try {
      await story();
      caption("导览完成：您可以继续以任何身份聊天。");
      document.body.dataset.tour = "done";
    } catch (error) {
      caption("导览中断：" + error.message);
      document.body.dataset.tour = "failed";
    } finally {
      button.disabled = false;
    }
  }

  async function story() {
    await Sim.loadPersonas();
    const village = Sim.state.data.villages[0];
    [...Sim.state.panes.keys()].forEach(Sim.closePane);

    caption(`① 村民扫描${village.name}的二维码，关注并绑定本村`);
    const first = Sim.openPane(Sim.newResident(village));
    await first.scan(village);
    await pause(500);

    caption("② 村民反映：村口的路坏了");
    const number = numberIn(await first.say(COMPLAINT));
    document.body.dataset.case = number;
    await pause(400);
    caption("③ 村民补拍一张照片，附到案件");
    await first.sendPhoto(samplePhoto());

    caption(`④ 负责干部收到案件 ${number} 的推送`);
    const push = await Sim.waitForPush((p) => isCadre(p.to) && Sim.pushText(p).includes(number));
    const cadre = Sim.openPane(Sim.cadrePersona(Sim.state.data.cadres.find((c) => c.openid === push.to)));
    await pause(600);
    caption(`⑤ ${cadre.persona.name}接单`);
    await cadre.say(`接单 ${number}`);
    await pause(500);

    caption("⑥ 另一位村民也扫码绑定，反映同一段路；机器人询问是否并入，村民回复“是”");
    const second = Sim.openPane(Sim.newResident(village));
    await second.scan(village);
    const offered = await second.say(SECOND);
    if (!offered.includes(number)) throw new Error(`第二位村民没有收到并入 ${number} 的询问：${offered}`);
    await pause(500);
    const joined = await second.say("是");
    if (!joined.includes(number)) throw new Error(`第二位村民的反映没有并入 ${number}：${joined}`);
    await pause(500);

    caption(`⑦ ${cadre.persona.name}办结并答复`);
    await cadre.say(`办结 ${number} ${ANSWER}`);

    caption("⑧ 两位村民都收到答复");
    for (const pane of [first, second]) {
      await Sim.waitForPush((p) => p.to === pane.persona.openid && Sim.pushText(p).includes(number)
                                   && Sim.pushText(p).includes("办结"));
    }
    await pause(600);

    caption("⑨ 第一位村民回复满意");
    await first.say(`满意 ${number}`);
    await pause(500);

    caption("⑩ 组长发送“周报”查看本周情况");
    const leader = Sim.state.data.cadres.find((c) => c.role === "leader" && c.villages.includes(village.name));
    await Sim.openPane(Sim.cadrePersona(leader)).say("周报");
  }

  document.addEventListener("DOMContentLoaded", () => document.getElementById("tour").addEventListener("click", play));
  return { play };
})();
