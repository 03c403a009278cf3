// A simple drawn figure for each routine: the stretcher in white, the helper in blue.
// Side view, 240 x 170; the floor is at y = 160.
window.FIGURES = {
  // Kneeling single leg: the helper kneels, then stands, with the stretcher's ankle on a shoulder.
  single_leg_kneeling: `
    <line class="floor" x1="5" y1="160" x2="235" y2="160"/>
    <circle class="head" cx="60" cy="30" r="12"/>
    <line x1="60" y1="42" x2="60" y2="100"/>
    <line x1="60" y1="100" x2="55" y2="160"/>
    <line x1="60" y1="100" x2="150" y2="62"/>
    <line x1="60" y1="55" x2="40" y2="90"/>
    <g class="helper">
      <circle class="head" cx="170" cy="40" r="12"/>
      <line x1="170" y1="52" x2="172" y2="105"/>
      <line x1="172" y1="105" x2="165" y2="160"/>
      <line x1="172" y1="105" x2="185" y2="160"/>
      <line x1="170" y1="62" x2="150" y2="64"/>
    </g>`,
  // Seated single leg: one leg straight, reaching for the toes; the helper pushes the back.
  seated_single_leg: `
    <line class="floor" x1="5" y1="160" x2="235" y2="160"/>
    <line x1="70" y1="155" x2="190" y2="155"/>
    <line x1="190" y1="155" x2="192" y2="138"/>
    <line x1="70" y1="155" x2="120" y2="95"/>
    <circle class="head" cx="130" cy="85" r="12"/>
    <line x1="110" y1="108" x2="180" y2="142"/>
    <g class="helper">
      <circle class="head" cx="35" cy="45" r="12"/>
      <line x1="35" y1="57" x2="30" y2="110"/>
      <line x1="30" y1="110" x2="20" y2="160"/>
      <line x1="30" y1="110" x2="45" y2="160"/>
      <line x1="34" y1="72" x2="92" y2="118"/>
    </g>`,
  // Standing double leg: bending from the waist, reaching down; the helper presses the back.
  standing_double_leg: `
    <line class="floor" x1="5" y1="160" x2="235" y2="160"/>
    <line x1="120" y1="160" x2="118" y2="95"/>
    <line x1="118" y1="95" x2="160" y2="120"/>
    <circle class="head" cx="170" cy="130" r="11"/>
    <line x1="150" y1="114" x2="135" y2="155"/>
    <g class="helper">
      <circle class="head" cx="60" cy="35" r="12"/>
      <line x1="60" y1="47" x2="60" y2="105"/>
      <line x1="60" y1="105" x2="50" y2="160"/>
      <line x1="60" y1="105" x2="72" y2="160"/>
      <line x1="60" y1="62" x2="125" y2="98"/>
    </g>`,
  // Wrist pull: sitting with legs straight, the helper pulls gently on the wrists.
  wrist_pull: `
    <line class="floor" x1="5" y1="160" x2="235" y2="160"/>
    <line x1="40" y1="155" x2="150" y2="155"/>
    <line x1="40" y1="155" x2="85" y2="100"/>
    <circle class="head" cx="95" cy="90" r="11"/>
    <line x1="78" y1="110" x2="160" y2="112"/>
    <g class="helper">
      <circle class="head" cx="205" cy="40" r="12"/>
      <line x1="205" y1="52" x2="200" y2="108"/>
      <line x1="200" y1="108" x2="190" y2="160"/>
      <line x1="200" y1="108" x2="215" y2="160"/>
      <line x1="202" y1="70" x2="160" y2="112"/>
    </g>`,
};

window.drawFigure = function drawFigure(el, key) {
  const body = window.FIGURES[key];
  el.innerHTML = body ? `<svg viewBox="0 0 240 170" data-figure="${key}">${body}</svg>` : '';
};
