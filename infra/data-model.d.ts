export interface ItemKind {
  table: 'users' | 'sessions';
  prefix: string;
  key: string;
  holds: string;
  attributes: string[];
  ttl: string | null;
  writtenBy: string;
  keyBuiltIn?: string;
}
export const ITEM_KINDS: ItemKind[];
export function itemKindsMarkdown(): string;
export function withItemKinds(text: string): string;
