/**
 * Keeps one failing part of the page from blanking the rest: a record card or a screen that throws
 * while rendering shows a short explanation and a "Try again" button instead, and the rest of the app
 * (the navigation, the other cards) keeps working. Data from servers is validated before it is
 * rendered (see RecordView); this is the net under that.
 * @see https://react.dev/reference/react/Component#catching-rendering-errors-with-an-error-boundary
 */
import { Component, type ErrorInfo, type ReactNode } from 'react';

export interface ErrorBoundaryProps {
  /** What failed, for the person: "this record", "the Flow screen". */
  what: string;
  children: ReactNode;
  /** Called once per caught error (tests, diagnostics). */
  onError?: (error: unknown) => void;
}

interface State { error: Error | undefined }

export class ErrorBoundary extends Component<ErrorBoundaryProps, State> {
  override state: State = { error: undefined };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, _info: ErrorInfo): void {
    this.props.onError?.(error);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="boundary-error" role="alert">
        <p><strong>Tessera could not show {this.props.what}.</strong> The rest of the app still works.</p>
        <p className="muted">{error.name}: {error.message.slice(0, 300)}</p>
        <button type="button" className="secondary" onClick={() => this.setState({ error: undefined })}>Try again</button>
      </div>
    );
  }
}
