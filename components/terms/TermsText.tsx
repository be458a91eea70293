// Terms (parsed by lib/enrollment/terms.ts) as React elements: every string is text that
// React escapes; links only where the parser accepted an http(s)/mailto address.
import type { TermsBlock, TermsInline } from "@/lib/enrollment/terms";

function Inline({ i }: { i: TermsInline }) {
  let node: React.ReactNode = i.text;
  if (i.code) node = <code className="rounded bg-slate-100 px-1 dark:bg-slate-800">{node}</code>;
  if (i.italic) node = <em>{node}</em>;
  if (i.bold) node = <strong>{node}</strong>;
  if (i.href)
    node = (
      <a href={i.href} className="underline" rel="noopener noreferrer" target="_blank">
        {node}
      </a>
    );
  return <>{node}</>;
}

function Inlines({ list }: { list: TermsInline[] }) {
  return (
    <>
      {list.map((i, n) => (
        <Inline key={n} i={i} />
      ))}
    </>
  );
}

export function TermsText({ blocks }: { blocks: TermsBlock[] }) {
  return (
    <div className="space-y-2 text-sm leading-6">
      {blocks.map((b, n) => {
        if (b.kind === "heading") {
          const H = b.level === 1 ? "h3" : b.level === 2 ? "h4" : "h5";
          return (
            <H key={n} className="font-semibold">
              <Inlines list={b.inlines} />
            </H>
          );
        }
        if (b.kind === "list") {
          const L = b.ordered ? "ol" : "ul";
          return (
            <L key={n} className={`${b.ordered ? "list-decimal" : "list-disc"} space-y-1 pl-5`}>
              {b.items.map((item, k) => (
                <li key={k}>
                  <Inlines list={item} />
                </li>
              ))}
            </L>
          );
        }
        return (
          <p key={n}>
            <Inlines list={b.inlines} />
          </p>
        );
      })}
    </div>
  );
}
