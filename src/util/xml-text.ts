/**
 * Escapes `&`, `<` and `>`, so text from a file, a folder name or a client cannot close or open a
 * tag of the block it is put in (the tagged sections of the model's context).
 */
export function escapeXmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
