import { formatValue } from '../format.ts';

/**
 * Any JSON as a definition list (objects), a table (arrays of objects) or text: endpoints built
 * on other branches (reputation, backtest) are rendered without assuming their exact shape.
 */
export function JsonView({ value }: { value: unknown }) {
  if (Array.isArray(value)) {
    const rows = value.filter((v): v is Record<string, unknown> => isObject(v));
    if (rows.length === value.length && rows.length > 0) {
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      return (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                {keys.map((k) => (
                  <th key={k} scope="col">
                    {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={i}>
                  {keys.map((k) => (
                    <td key={k}>{formatValue(row[k])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
    return <span>{value.map(formatValue).join(', ') || 'none'}</span>;
  }
  if (isObject(value)) {
    return (
      <dl class="json">
        {Object.entries(value).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <JsonView value={v} />
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  return <span>{formatValue(value)}</span>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
