/** An operation started from the dashboard: its live view, and how to cancel it or go back. */
import { Box, Text } from "ink";
import { useSyncExternalStore } from "react";
import { OperationView, useNow } from "./OperationView.js";
import type { OperationStore } from "./store.js";

export function OperationScreen({
  store,
  done,
  clock,
  color,
}: {
  store: OperationStore;
  done: boolean;
  clock: () => Date;
  color: boolean;
}) {
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const now = useNow(!done, clock);
  return (
    <Box flexDirection="column">
      <OperationView
        state={snapshot.view}
        now={now}
        color={color}
        {...(snapshot.error === undefined ? {} : { error: snapshot.error })}
      />
      <Text dimColor>{done ? "Press any key to go back." : "Ctrl-C cancels the update."}</Text>
    </Box>
  );
}
