// A labelled <select> for GET filter forms: an "Any" choice first, then the given options.
import { input, label as labelClass } from "./styles";

export function FilterSelect({
  name,
  label,
  value,
  options,
  anyLabel = "Any",
}: {
  name: string;
  label: string;
  value: string | null | undefined;
  /** [value, text] pairs, in display order. */
  options: ReadonlyArray<readonly [string, string]>;
  anyLabel?: string;
}) {
  return (
    <div>
      <label htmlFor={name} className={labelClass}>
        {label}
      </label>
      <select id={name} name={name} defaultValue={value ?? ""} className={input}>
        <option value="">{anyLabel}</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}
