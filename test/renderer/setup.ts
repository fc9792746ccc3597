/**
 * Renderer test set-up: Testing Library unmounts what a test rendered after each test. Its automatic
 * cleanup needs vitest's `globals`, which this project does not turn on, so it is registered here.
 */
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => { cleanup(); });
