#warning the meter is not calibrated
const bit<8> x = 1;
