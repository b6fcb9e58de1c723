/** Previous / next through a page of the API: `number` from 1 of `totalPages`. */
export function Pager(props: {
  readonly number: number;
  readonly totalPages: number;
  readonly totalItems: number;
  readonly noun: string;
  readonly onPage: (page: number) => void;
}) {
  const { number, totalPages, totalItems, noun, onPage } = props;
  return (
    <nav className="pager" aria-label={`Pages of ${noun}`}>
      <button
        type="button"
        disabled={number <= 1}
        onClick={() => {
          onPage(number - 1);
        }}
      >
        Previous
      </button>
      <span>
        Page {number} of {Math.max(1, totalPages)} · {totalItems} {noun}
      </span>
      <button
        type="button"
        disabled={number >= totalPages}
        onClick={() => {
          onPage(number + 1);
        }}
      >
        Next
      </button>
    </nav>
  );
}
