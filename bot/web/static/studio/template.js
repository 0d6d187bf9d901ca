// "New form from a template" (docs/flows-studio.md): name, title, typed questions,
// audience, confirmation → the server writes the flow YAML (POST
// /api/v1/admin/flow-templates/form) and the editor opens it as a new, unpublished flow.
"use strict";
const Template = (() => {
  const $ = (id) => document.getElementById(id);
  const TYPES = {text: "文字 Text", number: "数字 Number", choice: "单选 Choice",
                 yes_no: "是/否 Yes/No", date: "日期 Date", phone: "电话 Phone",
                 id_number: "身份证号 ID number", location: "位置 Location"};
  let onCreated = null;

  function field(cls, placeholder, value) {
    const input = document.createElement("input");
    input.className = cls;
    input.placeholder = placeholder;
    input.value = value || "";
    return input;
  }

  function addQuestion() {
    const li = document.createElement("li");
    const n = $("t-questions").children.length + 1;
    const type = document.createElement("select");
    type.className = "q-type";
    for (const [value, label] of Object.entries(TYPES)) type.add(new Option(label, value));
    const options = document.createElement("textarea");
    options.className = "q-options";
    options.rows = 3;
    options.placeholder = "每行一个选项：中文 / English\nOne option a line: 中文 / English";
    options.hidden = true;
    type.addEventListener("change", () => { options.hidden = type.value !== "choice"; });
    const optional = document.createElement("label");
    optional.className = "check";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "q-optional";
    optional.append(box, " 可跳过 Optional");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = "删除 Remove";
    remove.addEventListener("click", () => li.remove());
    li.append(type, field("q-zh", `问题 ${n}（中文）`), field("q-en", `Question ${n} (English)`),
              field("q-id", "字段名 field id (a-z, 0-9, _)"), options, optional, remove);
    $("t-questions").append(li);
    return li;
  }

  function spec() {
    const questions = [...$("t-questions").children].map((li) => {
      const q = {type: li.querySelector(".q-type").value,
                 label: {zh: li.querySelector(".q-zh").value.trim(),
                         en: li.querySelector(".q-en").value.trim()}};
      const id = li.querySelector(".q-id").value.trim();
      if (id) q.id = id;
      if (li.querySelector(".q-optional").checked) q.optional = true;
      if (q.type === "choice") {
        q.options = li.querySelector(".q-options").value.split("\n")
          .map((line) => line.trim()).filter(Boolean).map((line) => {
            const [zh, en] = line.split("/").map((s) => s.trim());
            return {zh, en: en || zh};
          });
      }
      return q;
    });
    const body = {name: $("t-name").value.trim(),
                  title: {zh: $("t-title-zh").value.trim(), en: $("t-title-en").value.trim()},
                  audience: $("t-audience").value, confirm: $("t-confirm").checked, questions};
    if (body.audience === "district") body.district = $("t-district").value;
    return body;
  }

  async function create() {
    $("t-error").textContent = "";
    const r = await Staff.api("/api/v1/admin/flow-templates/form", "POST", spec());
    if (r.status !== 200) {
      $("t-error").textContent = Staff.errText(r.data);
      return;
    }
    $("template").hidden = true;
    onCreated(r.data.name, r.data.yaml);
  }

  async function open() {
    $("t-error").textContent = "";
    if (!$("t-questions").children.length) addQuestion();
    if (!$("t-district").options.length) {
      const r = await Staff.api("/api/v1/admin/flow-templates/form");
      for (const d of (r.data.districts || [])) $("t-district").add(new Option(`${d.zh} ${d.en}`, d.code));
    }
    $("flow").hidden = true;
    $("template").hidden = false;
  }

  function init(created) {
    onCreated = created;
    $("t-add").addEventListener("click", addQuestion);
    $("t-create").addEventListener("click", create);
    $("t-cancel").addEventListener("click", () => { $("template").hidden = true; });
    $("t-audience").addEventListener("change", () => {
      $("t-district-label").hidden = $("t-audience").value !== "district";
    });
  }

  return {init, open};
})();
