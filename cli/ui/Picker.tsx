/** The dashboard's picker: a title and a list of choices, one selected. */
import { Box, Text } from "ink";
import type { PickerChoice } from "./choices.js";

export function Picker({ title, choices, index }: { title: string; choices: PickerChoice[]; index: number }) {
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      {choices.map((c, i) => (
        <Text key={c.value} inverse={i === index}>
          {i === index ? "› " : "  "}
          {c.label}
        </Text>
      ))}
      <Text dimColor>↑/↓ move · enter choose · esc back</Text>
    </Box>
  );
}
