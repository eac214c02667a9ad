/** The debug UI's icon (`/ui/icon.svg`): two ripples. */

/** The SVG of `/ui/icon.svg`. */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<title>rivulet</title>
<rect width="32" height="32" rx="7" fill="#0b5cad"/>
<path d="M5 13c4-4 7 4 11 0s7-4 11 0M5 20c4-4 7 4 11 0s7-4 11 0" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round"/>
</svg>
`;
