// The check page's structure editor: OpenChemLib's canvas editor (vendored, see
// static/vendor/openchemlib/README.md). What is drawn is written as SMILES into the check
// form's text box; the form itself works without this script, which only adds the editor.
import { CanvasEditor, Molecule } from "../vendor/openchemlib/openchemlib.js";

const section = document.getElementById("structure-editor");
const items = document.getElementById("id_items");

function firstLine() {
  return (items.value.split(/\r?\n/).find((line) => line.trim()) || "").trim();
}

function drawnSmiles(editor) {
  const molecule = editor.getMolecule();
  return molecule.getAllAtoms() ? molecule.toIsomericSmiles() : "";
}

function start() {
  const canvas = section.querySelector(".editor-canvas");
  const output = section.querySelector("output");
  const add = section.querySelector("[data-editor=add]");
  const replace = section.querySelector("[data-editor=replace]");
  const load = section.querySelector("[data-editor=load]");
  const editor = new CanvasEditor(canvas, { initialMode: "molecule" });

  function show() {
    const smiles = drawnSmiles(editor);
    output.value = smiles;
    add.disabled = replace.disabled = !smiles;
  }

  editor.setOnChangeListener(show);
  add.addEventListener("click", () => {
    const smiles = drawnSmiles(editor);
    if (!smiles) return;
    const text = items.value.replace(/\s+$/, "");
    items.value = text ? `${text}\n${smiles}` : smiles;
    items.focus();
  });
  // "Check only this": the drawing alone in the text box, and the check asked at once.
  replace.addEventListener("click", () => {
    const smiles = drawnSmiles(editor);
    if (!smiles) return;
    items.value = smiles;
    items.form.requestSubmit();
  });
  load.addEventListener("click", () => {
    const line = firstLine();
    if (!line) return;
    try {
      editor.setMolecule(Molecule.fromSmiles(line));
    } catch {
      output.value = section.dataset.unreadable;
      return;
    }
    show();
  });
  section.hidden = false;
  show();
}

if (section && items) {
  start();
}
