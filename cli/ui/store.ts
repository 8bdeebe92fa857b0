/**
 * A tiny external store: events are reduced OUTSIDE React by the pure reducer,
 * and components read snapshots through `useSyncExternalStore`, so no callback
 * ever closes over stale state.
 */
import type { FlightdeckEvent } from "../../automation/events.js";
import { initialOperationState, type OperationViewState, reduceEvent } from "./reducer.js";

export interface OperationStore {
  dispatch(event: FlightdeckEvent): void;
  /** The operation ended without a result event (it threw first): the view stops waiting. */
  end(error?: string): void;
  subscribe(listener: () => void): () => void;
  getSnapshot(): OperationSnapshot;
}

export interface OperationSnapshot {
  view: OperationViewState;
  ended: boolean;
  /** One line describing why it ended, when it ended by an error. */
  error?: string;
}

export function createOperationStore(): OperationStore {
  let snapshot: OperationSnapshot = { view: initialOperationState(), ended: false };
  const listeners = new Set<() => void>();
  const publish = (next: OperationSnapshot) => {
    snapshot = next;
    for (const l of listeners) l();
  };
  return {
    dispatch: (event) => publish({ ...snapshot, view: reduceEvent(snapshot.view, event) }),
    end: (error) => publish({ ...snapshot, ended: true, ...(error === undefined ? {} : { error }) }),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
  };
}
