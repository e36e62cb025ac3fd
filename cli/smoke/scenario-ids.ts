/** The scenario ids of SPEC §5, in the order they run. */
export const SCENARIO_IDS = ['S0', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];
